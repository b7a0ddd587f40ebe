using System.Text.Json;

namespace GenStore.Journal.Tests;

public sealed class PlanPrinterTests
{
    private static (Plan Plan, Journal New) Sample()
    {
        var old = TestData.Parse("gen-journal 1\nEXTERNAL /etc\nMKDIR /etc/old 0755 root root @o.gen:1:1\nMKDIR /etc/nginx 0755 root root @n.gen:1:1\n");
        var @new = TestData.Parse("gen-journal 1\nEXTERNAL /etc\nMKDIR /etc/nginx 0700 root root @n.gen:2:1\nGROUP g @u.gen:1:1\nRUN r on=/etc/** argv=[\"true\"] @n.gen:3:1\n");
        return (JournalDiff.Plan(old, @new), @new);
    }

    [Fact]
    public void The_text_plan_shows_each_action_with_its_journal_line_and_source()
    {
        var (plan, @new) = Sample();

        Assert.Equal(
            "- MKDIR /etc/old 0755 root root @o.gen:1:1\n" +
            "~ MKDIR /etc/nginx 0700 root root @n.gen:2:1\n" +
            "    was: MKDIR /etc/nginx 0755 root root\n" +
            "+ GROUP g @u.gen:1:1\n" +
            "+ RUN r on=/etc/** argv=[\"true\"] @n.gen:3:1\n" +
            "4 actions: 2 do, 1 change, 1 undo\n" +
            "triggers: r\n",
            PlanPrinter.ToText(plan, @new));
    }

    [Fact]
    public void An_empty_plan_says_so()
    {
        Assert.Equal("no changes\n", PlanPrinter.ToText(Plan.Empty, Journal.Empty).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void The_json_plan_carries_kind_identity_old_new_source_counts_and_triggers()
    {
        var (plan, @new) = Sample();

        using var doc = JsonDocument.Parse(PlanPrinter.ToJson(plan, @new));
        var actions = doc.RootElement.GetProperty("actions");

        Assert.Equal(4, actions.GetArrayLength());
        var change = actions[1];
        Assert.Equal("change", change.GetProperty("action").GetString());
        Assert.Equal("path", change.GetProperty("kind").GetString());
        Assert.Equal("/etc/nginx", change.GetProperty("name").GetString());
        Assert.Equal("MKDIR /etc/nginx 0755 root root", change.GetProperty("old").GetString());
        Assert.Equal(2, change.GetProperty("source").GetProperty("line").GetInt32());
        Assert.Equal(JsonValueKind.Null, actions[0].GetProperty("new").ValueKind);
        Assert.Equal(2, doc.RootElement.GetProperty("counts").GetProperty("do").GetInt32());
        Assert.Equal("r", doc.RootElement.GetProperty("triggers")[0].GetString());
    }
}
