using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Rein.Server.Identity;

public sealed record CreateProjectRequest(string? Id, string? Name);

public sealed record ProjectResponse(string Id, string Name, DateTimeOffset CreatedAt, string? CreatedBy)
{
    public static ProjectResponse From(Project p) => new(p.Id, p.Name, p.CreatedAt, p.CreatedBy);
}

/// <summary>The new project and the only key into it, shown once.</summary>
public sealed record CreatedProjectResponse(ProjectResponse Project, KeyResponse Key, string ApiKey);

/// <summary><c>/api/v1/projects</c>: every admin sees their own project; admins of the default project see and create
/// all of them.</summary>
public static class ProjectsApi
{
    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder api)
    {
        var projects = api.MapGroup("/projects").WithTags("Projects");

        projects.MapGet("", async (HttpContext http, ProjectService service, int? limit, string? after, CancellationToken cancellationToken) =>
        {
            var page = await service.ListAsync(http.Caller(), after, Paging.Limit(limit, ProjectService.MaxPageSize), cancellationToken);
            return TypedResults.Ok(new ListResponse<ProjectResponse>([.. page.Items.Select(ProjectResponse.From)], page.Next));
        }).RequireAuthorization(Permissions.Administer);

        projects.MapGet("/{id}", async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> (HttpContext http, ProjectService service, string id, CancellationToken cancellationToken) =>
            await service.GetAsync(http.Caller(), id, cancellationToken) is { } project
                ? TypedResults.Ok(ProjectResponse.From(project))
                : TypedResults.Problem($"there is no project {id} that this key can see", statusCode: StatusCodes.Status404NotFound, title: "Not found"))
            .RequireAuthorization(Permissions.Administer);

        projects.MapPost("", async (HttpContext http, ProjectService service, TimeProvider time, CreateProjectRequest request, CancellationToken cancellationToken) =>
        {
            var created = await service.CreateAsync(http.Caller(), request.Id, request.Name, cancellationToken);
            return TypedResults.Created($"/api/v1/projects/{created.Project.Id}", new CreatedProjectResponse(
                ProjectResponse.From(created.Project), KeyResponse.From(created.AdminKey.Key, time.GetUtcNow()), created.AdminKey.Value));
        }).RequireAuthorization(Permissions.ServerAdmin).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);

        return api;
    }
}
