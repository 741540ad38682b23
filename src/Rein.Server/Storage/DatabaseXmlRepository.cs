using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Rein.Server.Storage;

/// <summary>Keeps ASP.NET data-protection keys (which sign dashboard cookies and anti-forgery tokens) in the database,
/// so every replica on one PostgreSQL accepts the others' cookies and a restart does not sign everyone out.</summary>
internal sealed class DatabaseXmlRepository(ReinDatabase database, TimeProvider time) : IXmlRepository
{
    // The data-protection API is synchronous; it reads keys rarely and caches them.
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        var rows = database.ReadAsync(c => c.QueryAsync<string>("SELECT xml FROM data_protection_keys ORDER BY created_at"), CancellationToken.None)
            .GetAwaiter().GetResult();
        return [.. rows.Select(XElement.Parse)];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        database.WriteAsync((c, t) => c.ExecuteAsync(
                "INSERT INTO data_protection_keys (name, xml, created_at) VALUES (@name, @xml, @at)",
                new { name = friendlyName, xml = element.ToString(SaveOptions.DisableFormatting), at = time.GetUtcNow().ToUnixTimeMilliseconds() },
                t), CancellationToken.None)
            .GetAwaiter().GetResult();
    }
}
