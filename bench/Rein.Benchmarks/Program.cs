using BenchmarkDotNet.Running;
using Rein.Benchmarks;

// Named modes drive a running server or a database; anything else goes to BenchmarkDotNet.
return args.FirstOrDefault() switch
{
    "load" => await LoadDriver.RunAsync(args[1..]),
    "ingest" => await TraceIngestDriver.RunAsync(args[1..]),
    "ingest-ceiling" => await TraceBulkInsertCeiling.RunAsync(args[1..]),
    "trace-load" => await TraceQueryDriver.LoadAsync(args[1..]),
    "query" => await TraceQueryDriver.QueryAsync(args[1..]),
    "gate-eval" => await GateDrivers.EvaluateAsync(args[1..]),
    "gate" => await GateDrivers.HttpAsync(args[1..]),
    "gateway" => await GatewayDriver.RunAsync(args[1..]),
    _ => RunBenchmarks(args),
};

static int RunBenchmarks(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(LoadDriver).Assembly).Run(args);
    return 0;
}
