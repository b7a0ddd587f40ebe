namespace GenStore.Journal;

/// <summary>Reads a journal file and splices in every <c>INCLUDE</c>, giving one flat, self-contained journal.</summary>
/// <remarks>
/// Included files resolve relative to the folder of the file that includes them. Steps keep their own source tags;
/// an included step without a tag gets its journal line (file:line:1) as its source, so that its origin is never lost.
/// </remarks>
public static class JournalLoader
{
    /// <summary>Loads <paramref name="path"/> and all it includes; problems of every file come out together.</summary>
    public static JournalParseResult Load(string path)
    {
        var steps = new List<Step>();
        var externals = new List<ExternalPath>();
        var problems = new List<JournalProblem>();
        var stack = new List<string>();
        LoadInto(Path.GetFullPath(path), path, steps, externals, problems, stack, includedFrom: null);
        return new JournalParseResult(new Journal(steps, externals), problems);
    }

    /// <summary>Loads <paramref name="path"/> and all it includes, or throws the first problem as an <see cref="InputException"/>.</summary>
    public static Journal LoadOrThrow(string path) => Load(path).GetJournalOrThrow();

    private static void LoadInto(
        string fullPath,
        string displayPath,
        List<Step> steps,
        List<ExternalPath> externals,
        List<JournalProblem> problems,
        List<string> stack,
        IncludeDirective? includedFrom)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (includedFrom is null)
            {
                throw new InputException($"cannot read the journal ({e.Message}); check the path", displayPath);
            }

            problems.Add(new JournalProblem(JournalCodes.IncludeMissing, includedFrom.Location.File, includedFrom.Location.Line, 1,
                $"cannot read the included journal '{includedFrom.File}' ({e.Message}); fix the path, it is relative to the including file"));
            return;
        }

        var parsed = JournalParser.Parse(bytes, displayPath);
        problems.AddRange(parsed.Problems);
        var journal = parsed.Journal;
        externals.AddRange(journal.Externals);
        stack.Add(fullPath);
        var nextInclude = 0;
        for (var i = 0; i <= journal.Steps.Count; i++)
        {
            while (nextInclude < journal.Includes.Count && journal.Includes[nextInclude].Index <= i)
            {
                var include = journal.Includes[nextInclude++];
                var target = Path.GetFullPath(include.File, Path.GetDirectoryName(fullPath)!);
                var cycleAt = stack.IndexOf(target);
                if (cycleAt >= 0)
                {
                    var cycle = string.Join(" -> ", stack.Skip(cycleAt).Append(target));
                    problems.Add(new JournalProblem(JournalCodes.IncludeCycle, displayPath, include.Location.Line, 1,
                        $"INCLUDE cycle: {cycle}; remove one of these INCLUDE lines"));
                    continue;
                }

                var targetDisplay = Path.IsPathRooted(include.File) ? include.File : Path.Combine(Path.GetDirectoryName(displayPath) ?? string.Empty, include.File);
                LoadInto(target, targetDisplay, steps, externals, problems, stack, include);
            }

            if (i < journal.Steps.Count)
            {
                var step = journal.Steps[i];
                steps.Add(includedFrom is not null && step.Source == SourceSpan.None ? step with { Source = step.Location } : step);
            }
        }

        stack.RemoveAt(stack.Count - 1);
    }
}
