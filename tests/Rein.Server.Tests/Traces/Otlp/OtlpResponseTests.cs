using System.Text.Json;
using Rein.Server.Traces.Otlp;
using Rein.Server.Traces.Otlp.Wire;
using RpcStatus = Rein.Server.Traces.Otlp.Wire.Rpc.Status;

namespace Rein.Server.Tests.Traces.Otlp;

public sealed class OtlpResponseTests
{
    [Fact]
    public void Protobuf_FullSuccess_LeavesPartialSuccessUnset()
    {
        var bytes = OtlpResponse.Protobuf(0, null);

        Assert.Empty(bytes);
        Assert.Null(ExportTraceServiceResponse.Parser.ParseFrom(bytes).PartialSuccess);
    }

    [Fact]
    public void Protobuf_Rejections_DecodeBack()
    {
        var response = ExportTraceServiceResponse.Parser.ParseFrom(OtlpResponse.Protobuf(2, "2 spans rejected: ..."));

        Assert.Equal(2, response.PartialSuccess.RejectedSpans);
        Assert.Equal("2 spans rejected: ...", response.PartialSuccess.ErrorMessage);
    }

    [Fact]
    public void Protobuf_WarningWithoutRejections_SetsPartialSuccessWithZero()
    {
        var response = ExportTraceServiceResponse.Parser.ParseFrom(OtlpResponse.Protobuf(0, "attributes were truncated"));

        Assert.NotNull(response.PartialSuccess);
        Assert.Equal(0, response.PartialSuccess.RejectedSpans);
        Assert.Equal("attributes were truncated", response.PartialSuccess.ErrorMessage);
    }

    [Fact]
    public void Json_FullSuccess_IsAnEmptyObject()
    {
        Assert.Equal("{}", System.Text.Encoding.UTF8.GetString(OtlpResponse.Json(0, null)));
    }

    [Fact]
    public void Json_Rejections_WriteInt64AsAString()
    {
        using var json = JsonDocument.Parse(OtlpResponse.Json(3, "3 spans rejected: \"quoted\""));

        var partial = json.RootElement.GetProperty("partialSuccess");
        Assert.Equal(JsonValueKind.String, partial.GetProperty("rejectedSpans").ValueKind);
        Assert.Equal("3", partial.GetProperty("rejectedSpans").GetString());
        Assert.Equal("3 spans rejected: \"quoted\"", partial.GetProperty("errorMessage").GetString());
    }

    [Fact]
    public void Json_RejectionsWithoutMessage_LeaveOutErrorMessage()
    {
        using var json = JsonDocument.Parse(OtlpResponse.Json(1, null));

        Assert.False(json.RootElement.GetProperty("partialSuccess").TryGetProperty("errorMessage", out _));
    }

    [Fact]
    public void Status_Protobuf_DecodesAsGoogleRpcStatus()
    {
        var status = RpcStatus.Parser.ParseFrom(OtlpResponse.Status(3, "resourceSpans[0]: expected an object", json: false));

        Assert.Equal(3, status.Code);
        Assert.Equal("resourceSpans[0]: expected an object", status.Message);
    }

    [Fact]
    public void Status_Json_HasCodeAndMessage()
    {
        using var json = JsonDocument.Parse(OtlpResponse.Status(8, "too large", json: true));

        Assert.Equal(8, json.RootElement.GetProperty("code").GetInt32());
        Assert.Equal("too large", json.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public void Status_CodeZero_IsLeftOut()
    {
        using var json = JsonDocument.Parse(OtlpResponse.Status(0, "bad", json: true));

        Assert.False(json.RootElement.TryGetProperty("code", out _));
        Assert.Equal("bad", RpcStatus.Parser.ParseFrom(OtlpResponse.Status(0, "bad", json: false)).Message);
    }
}
