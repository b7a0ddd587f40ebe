using System.Globalization;
using System.Text;
using GenStore.Journal;

namespace GenStore.Config;

/// <summary>Answers <c>gen explain</c>: which <c>.gen</c> lines produced the step for a path (or a user, group or trigger), and which triggers it fires.</summary>
public static class Explainer
{
    /// <summary>A human explanation of <paramref name="what"/> in a successful compile.</summary>
    /// <param name="result">A compile without errors.</param>
    /// <param name="what">An absolute path, or <c>user:NAME</c>, <c>group:NAME</c>, <c>on_change:NAME</c> (a bare name is looked up in all three).</param>
    /// <exception cref="InputException">Nothing in the journal is about <paramref name="what"/>.</exception>
    public static string Explain(CompileResult result, string what)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(what);
        var journal = result.GetJournalOrThrow();
        var sb = new StringBuilder();
        var wanted = Candidates(what);
        var steps = journal.Steps.Where(s => wanted.Contains(s.Identity)).ToList();
        var path = wanted.FirstOrDefault(w => w.Kind == IdentityKind.Path).Name;

        foreach (var step in steps)
        {
            sb.Append(step.Identity.ToString()).Append('\n');
            sb.Append("  step:   ").Append(JournalPrinter.FormatStep(step with { Source = SourceSpan.None })).Append('\n');
            AppendOrigin(sb, result, "  from:   ", step.Source);
            if (step is CopyStep && result.ContentSources.TryGetValue(step.Identity.Name, out var file))
            {
                sb.Append("  content: ").Append(file).Append('\n');
            }
            if (step.Identity.Kind == IdentityKind.Path)
            {
                foreach (var run in journal.Steps.OfType<RunStep>().Where(r => r.On.Any(p => PathGlob.IsMatch(p, step.Identity.Name))))
                {
                    sb.Append("  a change runs on_change \"").Append(run.Name).Append("\" (").Append(run.Source.ToString()).Append(")\n");
                }
            }
        }

        if (path is not null)
        {
            foreach (var external in journal.Externals.Where(e => e.Path == path))
            {
                sb.Append("path ").Append(path).Append('\n');
                sb.Append("  not managed: the journal declares it EXTERNAL (it must exist on the machine); gen puts things into it\n");
                AppendOrigin(sb, result, "  first needed by: ", external.Source);
            }
        }

        if (sb.Length == 0)
        {
            throw new InputException($"no step of this journal manages '{what}'; give an absolute path (or user:NAME, group:NAME, on_change:NAME) that 'gen compile' lists");
        }

        return sb.ToString();
    }

    private static HashSet<StepIdentity> Candidates(string what)
    {
        if (what.StartsWith('/'))
        {
            var normal = "/" + string.Join('/', what.Split('/', StringSplitOptions.RemoveEmptyEntries));
            return [new StepIdentity(IdentityKind.Path, normal)];
        }

        var colon = what.IndexOf(':');
        if (colon > 0)
        {
            var name = what[(colon + 1)..];
            switch (what[..colon])
            {
                case "user": return [new StepIdentity(IdentityKind.User, name)];
                case "group": return [new StepIdentity(IdentityKind.Group, name)];
                case "on_change": return [new StepIdentity(IdentityKind.Trigger, name)];
            }
        }

        return [new(IdentityKind.User, what), new(IdentityKind.Group, what), new(IdentityKind.Trigger, what)];
    }

    private static void AppendOrigin(StringBuilder sb, CompileResult result, string label, SourceSpan span)
    {
        sb.Append(label).Append(span.ToString()).Append('\n');
        if (result.SourceLine(span.File, span.Line) is { } line)
        {
            var number = span.Line.ToString(CultureInfo.InvariantCulture);
            sb.Append("    ").Append(number).Append(" | ").Append(line).Append('\n');
        }
    }
}
