namespace Rein.Client.Tests;

public sealed class AuditClientTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ListAsync_AfterKeyCreate_StartsWithThatKeysEntry()
    {
        var created = await rein.Admin.Keys.CreateAsync("sdk-audited", KeyRoles.Viewer, cancellationToken: Ct);

        var page = await rein.Admin.Audit.ListAsync(limit: 1, cancellationToken: Ct);

        var entry = Assert.Single(page.Items);
        Assert.Equal("key.create", entry.Action);
        Assert.Equal("key", entry.ObjectType);
        Assert.Equal(created.Key.Id, entry.ObjectId);
        Assert.Equal((await rein.Admin.WhoAmIAsync(Ct)).KeyId, entry.Actor);
        Assert.Null(entry.BeforeDigest);
        Assert.NotNull(entry.AfterDigest);
        Assert.Equal(entry.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), page.Next);
    }

    [Fact]
    public async Task ListAllAsync_WithPagesOfTwo_WalksTheWholeChainNewestFirst()
    {
        for (var i = 0; i < 4; i++)
        {
            await rein.Admin.Keys.CreateAsync($"sdk-chain-{i}", KeyRoles.Viewer, cancellationToken: Ct);
        }

        var entries = new List<AuditEntry>();
        await foreach (var entry in rein.Admin.Audit.ListAllAsync(pageSize: 2, cancellationToken: Ct))
        {
            entries.Add(entry);
        }

        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i).Reverse(), entries.Select(e => e.Seq));
        for (var i = 0; i < entries.Count - 1; i++)
        {
            Assert.Equal(entries[i + 1].Hash, entries[i].PrevHash);
        }
    }

    [Fact]
    public async Task ListAsync_WithActionFilter_ReturnsOnlyThatAction()
    {
        await rein.Admin.Keys.CreateAsync("sdk-filtered", KeyRoles.Viewer, cancellationToken: Ct);

        var page = await rein.Admin.Audit.ListAsync(action: "project.create", cancellationToken: Ct);

        Assert.NotEmpty(page.Items);
        Assert.All(page.Items, e => Assert.Equal("project.create", e.Action));
    }

    [Fact]
    public async Task VerifyAsync_IntactChain_IsValidWithTheNewestEntryAsHead()
    {
        await rein.Admin.Keys.CreateAsync("sdk-verified", KeyRoles.Viewer, cancellationToken: Ct);
        var newest = (await rein.Admin.Audit.ListAsync(limit: 1, cancellationToken: Ct)).Items[0];

        var result = await rein.Admin.Audit.VerifyAsync(Ct);

        Assert.True(result.Valid);
        Assert.Null(result.Problem);
        Assert.Equal(newest.Seq, result.Checked);
        Assert.Equal(new AuditHead(newest.Seq, newest.Hash), result.Head);
    }

    [Fact]
    public async Task VerifyAsync_WithViewerKey_IsAllowed()
    {
        var viewer = await rein.Admin.Keys.CreateAsync("sdk-audit-viewer", KeyRoles.Viewer, cancellationToken: Ct);
        using var client = rein.ClientWith(viewer.ApiKey);

        Assert.True((await client.Audit.VerifyAsync(Ct)).Valid);
    }
}
