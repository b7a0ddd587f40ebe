using System.Globalization;
using System.Text;
using GenStore.Config.Syntax;

namespace GenStore.Config;

/// <summary>One track of <c>fleet.gen</c>: a branch that the hosts it names, and a percentage of the others, follow.</summary>
/// <param name="Name">The track's name (the block label).</param>
/// <param name="Branch">The branch its hosts follow.</param>
/// <param name="Hosts">Host id globs that always follow this track.</param>
/// <param name="Percent">The share of hosts (0–100), by stable bucket, that follow it besides the named ones.</param>
/// <param name="Position">Where the block starts.</param>
public sealed record FleetTrack(string Name, string Branch, IReadOnlyList<string> Hosts, int Percent, SourcePos Position);

/// <summary>Reads <c>fleet.gen</c>: the same syntax as every <c>.gen</c> file, but with <c>track</c> blocks only.</summary>
/// <remarks>
/// <code>
/// track "canary" { branch = "canary"  hosts = ["web-01"]  percent = 10 }
/// </code>
/// Tracks keep their order in the file: a host takes the first one that names it or whose bucket includes it.
/// </remarks>
public static class FleetFile
{
    /// <summary>The file's name at the root of the default branch.</summary>
    public const string FileName = "fleet.gen";

    private static readonly string[] Attributes = ["branch", "hosts", "percent"];

    /// <summary>The tracks of <paramref name="text"/>, in file order.</summary>
    /// <exception cref="InputException">The file is not valid; the message names file:line:col and what to write.</exception>
    public static IReadOnlyList<FleetTrack> Parse(string text, string file = FileName)
    {
        var diagnostics = new DiagnosticBag();
        diagnostics.AddSource(file, text);
        var statements = Parser.Parse(text, file, diagnostics, ["track"]);
        var tracks = new List<FleetTrack>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var statement in statements)
        {
            if (statement is not BlockStatement block)
            {
                diagnostics.Add(statement.Position, "fleet.gen holds only track blocks", "write track \"name\" { branch = \"…\" hosts = [\"…\"] percent = N }");
                continue;
            }

            if (ReadTrack(block, diagnostics) is { } track)
            {
                if (!names.Add(track.Name))
                {
                    diagnostics.Add(block.Position, $"the track '{track.Name}' is defined twice", "give each track its own name");
                }

                tracks.Add(track);
            }
        }

        if (diagnostics.HasErrors)
        {
            var first = diagnostics.Items[0];
            var more = diagnostics.Items.Count > 1 ? $" (and {diagnostics.Items.Count - 1} more)" : string.Empty;
            var expected = first.Expected is null ? string.Empty : $"; {first.Expected}";
            throw new InputException($"{first.Message}{expected}{more}; fix {FileName} on the default branch", first.File, first.Line, first.Column);
        }

        return tracks;
    }

    private static FleetTrack? ReadTrack(BlockStatement block, DiagnosticBag diagnostics)
    {
        var name = Literal(block.Label, diagnostics);
        string? branch = null;
        IReadOnlyList<string> hosts = [];
        var percent = 0;
        foreach (var attribute in block.Attributes)
        {
            switch (attribute.Name)
            {
                case "branch":
                    branch = Literal(attribute.Value, diagnostics);
                    break;
                case "hosts":
                    if (attribute.Value is ListExpr list)
                    {
                        hosts = [.. list.Items.Select(i => Literal(i, diagnostics)).OfType<string>()];
                    }
                    else
                    {
                        diagnostics.Add(attribute.Value.Position, "hosts must be a list of host id globs", "write hosts = [\"web-01\", \"db-*\"]");
                    }

                    break;
                case "percent":
                    if (attribute.Value is NumberExpr number && int.TryParse(number.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p <= 100)
                    {
                        percent = p;
                    }
                    else
                    {
                        diagnostics.Add(attribute.Value.Position, "percent must be a whole number from 0 to 100", "write percent = 10");
                    }

                    break;
                default:
                    diagnostics.Add(attribute.Position, $"unknown attribute '{attribute.Name}' in a track block", $"expected one of: {string.Join(", ", Attributes)}");
                    break;
            }
        }

        if (branch is null)
        {
            diagnostics.Add(block.Position, "the track block has no branch", "add branch = \"name-of-the-branch\"");
        }

        return name is null || branch is null ? null : new FleetTrack(name, branch, hosts, percent, block.Position);
    }

    private static string? Literal(Expr expr, DiagnosticBag diagnostics)
    {
        // fleet.gen is read before any config is evaluated: no variables, only plain strings.
        if (expr is StringExpr s && s.Parts.All(p => p.Variable is null))
        {
            var text = new StringBuilder();
            foreach (var part in s.Parts)
            {
                text.Append(part.Text);
            }

            if (text.Length > 0)
            {
                return text.ToString();
            }
        }

        diagnostics.Add(expr.Position, "expected a non-empty quoted string without ${…}", "write a literal such as \"canary\"");
        return null;
    }
}
