using Rein.Server.Approvals;

namespace Rein.Server.Tests.Approvals;

public sealed class QueueWordingTests
{
    [Fact]
    public void DescribeQueues_ReadsAsASentence()
    {
        Assert.Equal("every queue", ApprovalService.DescribeQueues(null));
        Assert.Equal("the queue finance", ApprovalService.DescribeQueues(["finance"]));
        Assert.Equal("the queues finance and ops", ApprovalService.DescribeQueues(["finance", "ops"]));
        Assert.Equal("the queues eu, finance and ops", ApprovalService.DescribeQueues(["eu", "finance", "ops"]));
    }
}
