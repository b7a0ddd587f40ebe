using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GenStore.Journal;

/// <summary>Writes a plan for people (one action per line, with the source tag) and as JSON for scripts.</summary>
/// <remarks>
/// Text form: <c>+</c> do, <c>-</c> undo, <c>~</c> change (followed by an indented <c>was:</c> line with the old step),
/// each followed by the step's canonical journal line, then a summary line and the triggers that will run.
/// </remarks>
public static class PlanPrinter
{
    /// <summary>Writes the human-readable plan of taking <paramref name="newJournal"/>'s machine from the old journal.</summary>
    public static void WriteText(Plan plan, Journal newJournal, TextWriter writer)
    {
        if (plan.IsEmpty)
        {
            writer.WriteLine("no changes");
            return;
        }

        foreach (var action in plan.Actions)
        {
            switch (action.Kind)
            {
                case PlanActionKind.Do:
                    writer.WriteLine($"+ {JournalPrinter.FormatStep(action.New!)}");
                    break;
                case PlanActionKind.Undo:
                    writer.WriteLine($"- {JournalPrinter.FormatStep(action.Old!)}");
                    break;
                case PlanActionKind.Change:
                    writer.WriteLine($"~ {JournalPrinter.FormatStep(action.New!)}");
                    writer.WriteLine($"    was: {JournalPrinter.FormatStep(action.Old! with { Source = SourceSpan.None })}");
                    break;
            }
        }

        var (done, undone, changed) = Count(plan);
        writer.WriteLine($"{plan.Actions.Count} action{(plan.Actions.Count == 1 ? string.Empty : "s")}: {done} do, {changed} change, {undone} undo");
        var triggers = Triggers.ToRun(plan, newJournal);
        if (triggers.Count > 0)
        {
            writer.WriteLine($"triggers: {string.Join(' ', triggers.Select(t => JournalSyntax.Format(t.Name)))}");
        }
    }

    /// <summary>The human-readable plan as a string.</summary>
    public static string ToText(Plan plan, Journal newJournal)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        WriteText(plan, newJournal, writer);
        return writer.ToString();
    }

    /// <summary>Writes the plan as one JSON object: actions (kind, identity, old and new journal lines, source), counts and triggers.</summary>
    public static void WriteJson(Plan plan, Journal newJournal, Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartArray("actions");
        foreach (var action in plan.Actions)
        {
            json.WriteStartObject();
            json.WriteString("action", action.Kind.ToString().ToLowerInvariant());
            json.WriteString("keyword", action.Step.Keyword);
            json.WriteString("kind", action.Identity.Kind.ToString().ToLowerInvariant());
            json.WriteString("name", action.Identity.Name);
            WriteStepLine(json, "old", action.Old);
            WriteStepLine(json, "new", action.New);
            json.WriteStartObject("source");
            json.WriteString("file", action.Source.File);
            json.WriteNumber("line", action.Source.Line);
            json.WriteNumber("column", action.Source.Column);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        var (done, undone, changed) = Count(plan);
        json.WriteStartObject("counts");
        json.WriteNumber("do", done);
        json.WriteNumber("change", changed);
        json.WriteNumber("undo", undone);
        json.WriteEndObject();
        json.WriteStartArray("triggers");
        foreach (var trigger in Triggers.ToRun(plan, newJournal))
        {
            json.WriteStringValue(trigger.Name);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The JSON plan as a string.</summary>
    public static string ToJson(Plan plan, Journal newJournal)
    {
        using var stream = new MemoryStream();
        WriteJson(plan, newJournal, stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteStepLine(Utf8JsonWriter json, string name, Step? step)
    {
        if (step is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, JournalPrinter.FormatStep(step with { Source = SourceSpan.None }));
        }
    }

    private static (int Do, int Undo, int Change) Count(Plan plan) =>
        (plan.Actions.Count(a => a.Kind == PlanActionKind.Do),
         plan.Actions.Count(a => a.Kind == PlanActionKind.Undo),
         plan.Actions.Count(a => a.Kind == PlanActionKind.Change));
}
