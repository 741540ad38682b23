using Rein.Core.Traces;

namespace Rein.Core.Tests.Traces;

public sealed class ConversationTests
{
    private static Span S(StepKind kind = StepKind.Llm, SpanEvent[]? events = null, params SpanAttribute[] attributes) => new()
    {
        TraceId = "0af7651916cd43dd8448eb211c80319c",
        SpanId = "b7ad6b7169203331",
        Name = "chat",
        Kind = kind,
        Attributes = attributes,
        Events = events ?? [],
    };

    private static SpanAttribute A(string key, object? value) => new(key, value);

    [Fact]
    public void Read_CurrentGenAiMessages_GivesRolesTextToolCallsAndFinishReason()
    {
        var view = Conversation.Read(S(attributes:
        [
            A("gen_ai.system_instructions", """[{"type":"text","content":"You are terse."}]"""),
            A("gen_ai.input.messages", """
                [{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]},
                 {"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}]},
                 {"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"rainy, 57°F"}]}]
                """),
            A("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"It is rainy."}],"finish_reason":"stop"}]"""),
        ]));

        Assert.Equal("You are terse.", view.SystemInstructions);
        Assert.Equal(["user", "assistant", "tool"], view.Input.Select(m => m.Role));
        Assert.Equal("Weather in Paris?", view.Input[0].Text);
        Assert.Equal(new ToolCallPart("call_1", "get_weather", """{"city":"Paris"}"""), Assert.Single(view.Input[1].ToolCalls));
        Assert.Null(view.Input[1].Text);
        Assert.Equal("rainy, 57°F", view.Input[2].Text);
        var output = Assert.Single(view.Output);
        Assert.Equal("It is rainy.", output.Text);
        Assert.Equal("stop", output.FinishReason);
    }

    [Fact]
    public void Read_MessagesSentAsOtlpStructures_AreReadLikeJson()
    {
        var message = new SpanAttribute[]
        {
            A("role", "user"),
            A("parts", new object?[] { new SpanAttribute[] { A("type", "text"), A("content", "hello") } }),
        };

        var view = Conversation.Read(S(attributes: A("gen_ai.input.messages", new object?[] { message })));

        Assert.Equal("hello", Assert.Single(view.Input).Text);
    }

    [Fact]
    public void Read_OlderPerMessageEvents_GivesInputAndChoices()
    {
        var view = Conversation.Read(S(events:
        [
            new SpanEvent("gen_ai.system.message", 1, [A("gen_ai.system", "openai"), A("content", "Be brief.")]),
            new SpanEvent("gen_ai.user.message", 2, [A("content", "Hi")]),
            new SpanEvent("gen_ai.assistant.message", 3, [A("tool_calls", """[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{\"q\":1}"}}]""")]),
            new SpanEvent("gen_ai.tool.message", 4, [A("id", "c1"), A("content", "found")]),
            new SpanEvent("gen_ai.choice", 5, [A("index", 0L), A("finish_reason", "stop"), A("message", """{"role":"assistant","content":"Hello!"}""")]),
        ]));

        Assert.Equal(["system", "user", "assistant", "tool"], view.Input.Select(m => m.Role));
        Assert.Equal("Be brief.", view.Input[0].Text);
        Assert.Equal(new ToolCallPart("c1", "lookup", "{\"q\":1}"), Assert.Single(view.Input[2].ToolCalls));
        Assert.Equal("found", view.Input[3].Text);
        var choice = Assert.Single(view.Output);
        Assert.Equal(("assistant", "Hello!", "stop"), (choice.Role, choice.Text, choice.FinishReason));
    }

    [Fact]
    public void Read_EventBodyAttribute_IsTheMessage()
    {
        var view = Conversation.Read(S(events: [new SpanEvent("gen_ai.user.message", 1, [A("gen_ai.event.content", """{"role":"user","content":"From the body"}""")])]));

        Assert.Equal("From the body", Assert.Single(view.Input).Text);
    }

    [Fact]
    public void Read_EventWithoutContent_StillShowsTheMessage()
    {
        var view = Conversation.Read(S(events: [new SpanEvent("gen_ai.user.message", 1, [A("gen_ai.system", "openai")])]));

        var message = Assert.Single(view.Input);
        Assert.Equal("user", message.Role);
        Assert.Null(message.Text);
    }

    [Fact]
    public void Read_FlattenedPromptAndCompletion_AreOrderedByIndex()
    {
        var view = Conversation.Read(S(attributes:
        [
            A("gen_ai.prompt.1.role", "user"),
            A("gen_ai.prompt.1.content", "second"),
            A("gen_ai.prompt.0.role", "system"),
            A("gen_ai.prompt.0.content", "first"),
            A("gen_ai.prompt.10.content", "eleventh"),
            A("gen_ai.completion.0.role", "assistant"),
            A("gen_ai.completion.0.finish_reason", "tool_calls"),
            A("gen_ai.completion.0.tool_calls.0.id", "t0"),
            A("gen_ai.completion.0.tool_calls.0.name", "search"),
            A("gen_ai.completion.0.tool_calls.0.arguments", "{\"q\":\"x\"}"),
        ]));

        Assert.Equal(["first", "second", "eleventh"], view.Input.Select(m => m.Text));
        Assert.Equal("user", view.Input[2].Role);
        var output = Assert.Single(view.Output);
        Assert.Equal("tool_calls", output.FinishReason);
        Assert.Equal(new ToolCallPart("t0", "search", "{\"q\":\"x\"}"), Assert.Single(output.ToolCalls));
    }

    [Fact]
    public void Read_OpenInferenceMessages_IncludingContentPartsAndToolCalls()
    {
        var view = Conversation.Read(S(attributes:
        [
            A("llm.input_messages.0.message.role", "system"),
            A("llm.input_messages.0.message.content", "Be helpful."),
            A("llm.input_messages.1.message.role", "user"),
            A("llm.input_messages.1.message.contents.0.message_content.type", "text"),
            A("llm.input_messages.1.message.contents.0.message_content.text", "Part one"),
            A("llm.input_messages.1.message.contents.1.message_content.text", "Part two"),
            A("llm.output_messages.0.message.role", "assistant"),
            A("llm.output_messages.0.message.tool_calls.0.tool_call.id", "call_9"),
            A("llm.output_messages.0.message.tool_calls.0.tool_call.function.name", "get_time"),
            A("llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments", "{}"),
            A("input.value", "ignored when messages exist"),
        ]));

        Assert.Equal(["system", "user"], view.Input.Select(m => m.Role));
        Assert.Equal("Part one\nPart two", view.Input[1].Text);
        Assert.Equal(new ToolCallPart("call_9", "get_time", "{}"), Assert.Single(Assert.Single(view.Output).ToolCalls));
    }

    [Fact]
    public void Read_InputValueRequestBody_GivesItsMessages_AndPlainOutputIsText()
    {
        var view = Conversation.Read(S(attributes:
        [
            A("input.value", """{"model":"gpt-4o","messages":[{"role":"system","content":"S"},{"role":"user","content":[{"type":"text","text":"U"}]}]}"""),
            A("output.value", "Plain answer"),
        ]));

        Assert.Equal([("system", "S"), ("user", "U")], view.Input.Select(m => (m.Role, m.Text!)));
        Assert.Equal(("assistant", "Plain answer"), (view.Output[0].Role, view.Output[0].Text));
    }

    [Fact]
    public void Read_MalformedJson_FallsBackToTheRawText()
    {
        var view = Conversation.Read(S(attributes:
        [
            A("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"cut off…[truncated 900 chars]"),
            A("gen_ai.system_instructions", "{broken"),
            A("input.value", "{\"not\": \"messages\"}"),
        ]));

        Assert.StartsWith("[{\"role\"", Assert.Single(view.Input).Text, StringComparison.Ordinal);
        Assert.Equal("{broken", view.SystemInstructions);
    }

    [Fact]
    public void Read_JsonThatIsNotMessages_IsShownAsText()
    {
        var view = Conversation.Read(S(attributes: A("input.value", "{\"query\": \"weather\"}")));

        Assert.Equal("{\"query\": \"weather\"}", Assert.Single(view.Input).Text);
    }

    [Fact]
    public void Read_GenAiToolSpan_GivesArgumentsAndResult()
    {
        var view = Conversation.Read(S(StepKind.Tool, attributes:
        [
            A("gen_ai.tool.name", "get_weather"),
            A("gen_ai.tool.call.arguments", "{\"city\":\"Paris\"}"),
            A("gen_ai.tool.call.result", "rainy"),
        ]));

        Assert.Equal("{\"city\":\"Paris\"}", view.ToolArguments);
        Assert.Equal("rainy", view.ToolResult);
        Assert.Empty(view.Input);
        Assert.Empty(view.Output);
    }

    [Fact]
    public void Read_OpenInferenceToolSpan_UsesInputAndOutputValues()
    {
        var view = Conversation.Read(S(StepKind.Tool, attributes: [A("input.value", "{\"q\":\"x\"}"), A("output.value", "3 results")]));

        Assert.Equal("{\"q\":\"x\"}", view.ToolArguments);
        Assert.Equal("3 results", view.ToolResult);
        Assert.Empty(view.Input);
    }

    [Fact]
    public void Read_SpanWithNothing_IsEmpty()
    {
        var view = Conversation.Read(S(attributes: A("http.method", "GET")));

        Assert.Empty(view.Input);
        Assert.Empty(view.Output);
        Assert.Null(view.SystemInstructions);
        Assert.Null(view.ToolArguments);
        Assert.Null(view.ToolResult);
    }
}
