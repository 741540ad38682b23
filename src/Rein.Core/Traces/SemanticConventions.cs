namespace Rein.Core.Traces;

/// <summary>
/// The attribute and event names Rein reads. Sources: the OpenTelemetry GenAI semantic conventions
/// (open-telemetry/semantic-conventions, docs/registry/attributes/gen-ai.md and model/gen-ai/deprecated/*.yaml, now
/// continued in open-telemetry/semantic-conventions-genai), the OpenInference semantic conventions
/// (Arize-ai/openinference, spec/semantic_conventions.md), and Rein's own <c>rein.*</c> attributes.
/// </summary>
internal static class SemanticConventions
{
    // OTel GenAI, current names.
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    public const string CacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens";
    public const string ReasoningOutputTokens = "gen_ai.usage.reasoning.output_tokens";
    public const string AgentName = "gen_ai.agent.name";
    public const string AgentVersion = "gen_ai.agent.version";
    public const string ConversationId = "gen_ai.conversation.id";
    public const string ToolName = "gen_ai.tool.name";
    public const string InputMessages = "gen_ai.input.messages";
    public const string OutputMessages = "gen_ai.output.messages";
    public const string SystemInstructions = "gen_ai.system_instructions";
    public const string ToolCallArguments = "gen_ai.tool.call.arguments";
    public const string ToolCallResult = "gen_ai.tool.call.result";
    public const string RetrievalDocuments = "gen_ai.retrieval.documents";
    public const string RetrievalQuery = "gen_ai.retrieval.query.text";

    // OTel GenAI, deprecated names still sent by older instrumentations.
    public const string System = "gen_ai.system";
    public const string PromptTokens = "gen_ai.usage.prompt_tokens";
    public const string CompletionTokens = "gen_ai.usage.completion_tokens";
    public const string Prompt = "gen_ai.prompt";
    public const string Completion = "gen_ai.completion";

    // Cache and reasoning counts under names used before the registry settled on the ones above (listed as deprecated
    // aliases in Sentry's relay conventions: cache_read_input_tokens, input_tokens.cached, output_tokens.reasoning).
    public const string CacheReadInputTokensOld = "gen_ai.usage.cache_read_input_tokens";
    public const string InputTokensCached = "gen_ai.usage.input_tokens.cached";
    public const string CachedTokens = "gen_ai.usage.cached_tokens";
    public const string OutputTokensReasoning = "gen_ai.usage.output_tokens.reasoning";

    // Per-message span events of the deprecated GenAI event conventions, and the older content events.
    public const string SystemMessageEvent = "gen_ai.system.message";
    public const string UserMessageEvent = "gen_ai.user.message";
    public const string AssistantMessageEvent = "gen_ai.assistant.message";
    public const string ToolMessageEvent = "gen_ai.tool.message";
    public const string ChoiceEvent = "gen_ai.choice";
    public const string ContentPromptEvent = "gen_ai.content.prompt";
    public const string ContentCompletionEvent = "gen_ai.content.completion";

    // OpenInference.
    public const string SpanKind = "openinference.span.kind";
    public const string LlmProvider = "llm.provider";
    public const string LlmSystem = "llm.system";
    public const string LlmModelName = "llm.model_name";
    public const string EmbeddingModelName = "embedding.model_name";
    public const string TokenCountPrompt = "llm.token_count.prompt";
    public const string TokenCountCompletion = "llm.token_count.completion";
    public const string TokenCountCacheRead = "llm.token_count.prompt_details.cache_read";
    public const string TokenCountReasoning = "llm.token_count.completion_details.reasoning";
    public const string OiAgentName = "agent.name";
    public const string OiToolName = "tool.name";
    public const string ToolParameters = "tool.parameters";
    public const string SessionId = "session.id";
    public const string UserId = "user.id";
    public const string InputValue = "input.value";
    public const string OutputValue = "output.value";
    public const string InputMessagesPrefix = "llm.input_messages.";
    public const string OutputMessagesPrefix = "llm.output_messages.";

    // General OpenTelemetry.
    public const string EndUserId = "enduser.id";
    public const string ServiceName = "service.name";

    // Rein.
    public const string DecisionEffect = "rein.decision.effect";
    public const string GatewayDecisionEffect = "rein.gateway.decision.effect";
    public const string ApprovalPrefix = "rein.approval.";
    public const string Release = "rein.release";
    public const string RunOutcome = "rein.run.outcome";

    /// <summary>The agent name a span of an agent key claimed when it was not the key's agent; the span is stored
    /// under the key's agent.</summary>
    public const string AgentClaimed = "rein.agent.claimed";

    /// <summary>The id of the key (not an agent key) that sent a span: its agent name is the sender's claim.</summary>
    public const string ForwardedBy = "rein.agent.forwarded_by";
}
