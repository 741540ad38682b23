namespace Rein.Client;

/// <summary>One page of a listing.</summary>
/// <typeparam name="T">The listed object.</typeparam>
/// <param name="Items">The objects on this page, in the listing's order.</param>
/// <param name="Next">The cursor for the next page (pass it as <c>after</c>, or for the audit log as <c>before</c>);
/// null on the last page.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);
