using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Rein.Server.Dashboard;

/// <summary>
/// A request naming a page handler the page does not have (<c>POST /policies?handler=Nope</c>), or posting to a page
/// that takes no posts, is answered 404 or 405 naming what was asked for. Razor Pages would otherwise render the page
/// without running any handler, and the page's model, never loaded, fails.
/// </summary>
internal sealed class PageHandlerFilter : IPageFilter
{
    public void OnPageHandlerSelected(PageHandlerSelectedContext context)
    {
        if (context.HandlerMethod is not null)
        {
            return;
        }

        var request = context.HttpContext.Request;
        var handler = context.RouteData.Values["handler"] as string ?? request.Query["handler"].ToString();
        if (handler.Length > 0)
        {
            throw ReinProblemException.NotFound(
                $"the page {request.Path} has no handler '{(handler.Length > 40 ? handler[..40] + "…" : handler)}' for {request.Method}");
        }

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            throw new ReinProblemException(StatusCodes.Status405MethodNotAllowed, "Method not allowed", $"{request.Method} is not allowed on {request.Path}");
        }
    }

    public void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
    }

    public void OnPageHandlerExecuted(PageHandlerExecutedContext context)
    {
    }
}
