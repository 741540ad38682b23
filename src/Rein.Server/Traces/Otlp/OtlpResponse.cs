using System.Buffers;
using System.Text.Json;
using Google.Protobuf;
using Rein.Server.Traces.Otlp.Wire;
using RpcStatus = Rein.Server.Traces.Otlp.Wire.Rpc.Status;

namespace Rein.Server.Traces.Otlp;

/// <summary>
/// OTLP/HTTP response bodies, in the encoding of the request (OTLP: the response uses the request's Content-Type).
/// </summary>
internal static class OtlpResponse
{
    /// <summary>A binary <c>ExportTraceServiceResponse</c>; <c>partial_success</c> only when something was rejected
    /// or there is a message (OTLP: a full success leaves it unset; a warning sets it with zero rejected).</summary>
    public static byte[] Protobuf(long rejectedSpans, string? message)
    {
        var response = new ExportTraceServiceResponse();
        if (rejectedSpans > 0 || message is not null)
        {
            response.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = rejectedSpans, ErrorMessage = message ?? "" };
        }

        return response.ToByteArray();
    }

    /// <summary>The OTLP/JSON form of <see cref="Protobuf"/>.</summary>
    public static byte[] Json(long rejectedSpans, string? message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (rejectedSpans > 0 || message is not null)
            {
                json.WriteStartObject("partialSuccess"u8);
                // proto3 JSON mapping: int64 is written as a decimal string.
                json.WriteString("rejectedSpans"u8, rejectedSpans.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (!string.IsNullOrEmpty(message))
                {
                    json.WriteString("errorMessage"u8, message);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The body of a 4xx or 5xx answer: a <c>google.rpc.Status</c> (OTLP/HTTP "Failures"). OTLP does not use the code
    /// and allows leaving it out; zero is left out, as proto3 leaves out every default.
    /// </summary>
    public static byte[] Status(int code, string message, bool json)
    {
        if (!json)
        {
            return new RpcStatus { Code = code, Message = message }.ToByteArray();
        }

        var buffer = new ArrayBufferWriter<byte>(128 + message.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (code != 0)
            {
                writer.WriteNumber("code"u8, code);
            }

            writer.WriteString("message"u8, message);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
