using Microsoft.AspNetCore.Http;

namespace Rein.Server;

/// <summary>
/// A request the service refuses because of what the client sent or asked for. Services throw it; the API answers
/// it as problem details with its status, the dashboard shows its detail next to the form, and it is never logged as
/// a server error.
/// </summary>
public sealed class ReinProblemException : Exception
{
    public ReinProblemException(int status, string title, string detail, string? field = null) : base(detail)
    {
        Status = status;
        Title = title;
        Field = field;
    }

    public ReinProblemException()
    {
        Status = StatusCodes.Status400BadRequest;
        Title = "Bad request";
    }

    public ReinProblemException(string message) : base(message)
    {
        Status = StatusCodes.Status400BadRequest;
        Title = "Bad request";
    }

    public ReinProblemException(string message, Exception innerException) : base(message, innerException)
    {
        Status = StatusCodes.Status400BadRequest;
        Title = "Bad request";
    }

    public int Status { get; }

    public string Title { get; }

    /// <summary>The request field at fault, as the client spelled it (camelCase), when there is one.</summary>
    public string? Field { get; }

    /// <summary>What is wrong with <see cref="Field"/>, without the field's name in front.</summary>
    public string? FieldProblem { get; private init; }

    /// <summary>Members the problem details carry beside status, title and detail, such as the problems found in a
    /// policy file; each value is written as JSON.</summary>
    public IReadOnlyDictionary<string, object?> Extensions { get; init; } = new Dictionary<string, object?>();

    public static ReinProblemException Invalid(string field, string detail) =>
        new(StatusCodes.Status400BadRequest, "Invalid request", $"{field}: {detail}", field) { FieldProblem = detail };

    public static ReinProblemException NotFound(string detail) =>
        new(StatusCodes.Status404NotFound, "Not found", detail);

    public static ReinProblemException Conflict(string detail) =>
        new(StatusCodes.Status409Conflict, "Conflict", detail);
}
