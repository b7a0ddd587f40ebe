namespace GenStore.Journal;

/// <summary>The operations behind the <c>gen journal</c> plumbing commands, one method per command.</summary>
public static class JournalTool
{
    /// <summary>Loads <paramref name="path"/> with its includes, runs every static check and prints each problem on its own line; returns how many there are.</summary>
    public static int Check(string path, CheckOptions options, TextWriter output, TextWriter log)
    {
        var loaded = JournalLoader.Load(path);
        var problems = loaded.Problems.Concat(JournalChecker.Check(loaded.Journal, options)).ToList();
        foreach (var problem in problems)
        {
            output.WriteLine(problem.ToString());
        }

        log.WriteLine(problems.Count == 0
            ? $"gen: {path}: {loaded.Journal.Steps.Count} steps, no problems"
            : problems.Count == 1 ? $"gen: {path}: 1 problem; fix it and check again" : $"gen: {path}: {problems.Count} problems; fix them and check again");
        return problems.Count;
    }

    /// <summary>Prints the canonical form of one journal file (INCLUDE lines kept); on syntax problems prints those instead and returns their count.</summary>
    public static int Format(string path, TextWriter output, TextWriter log)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"cannot read the journal ({e.Message}); check the path", path);
        }

        var parsed = JournalParser.Parse(bytes, path);
        if (!parsed.Succeeded)
        {
            foreach (var problem in parsed.Problems)
            {
                log.WriteLine(problem.ToString());
            }

            return parsed.Problems.Count;
        }

        JournalPrinter.Write(parsed.Journal, output);
        return 0;
    }

    /// <summary>Loads both journals (with includes) and prints the plan from <paramref name="oldPath"/> to <paramref name="newPath"/>, as text or JSON.</summary>
    public static Plan Diff(string oldPath, string newPath, bool json, TextWriter output)
    {
        var old = JournalLoader.LoadOrThrow(oldPath);
        var @new = JournalLoader.LoadOrThrow(newPath);
        var plan = JournalDiff.Plan(old, @new);
        if (json)
        {
            output.Write(PlanPrinter.ToJson(plan, @new));
            output.WriteLine();
        }
        else
        {
            PlanPrinter.WriteText(plan, @new, output);
        }

        return plan;
    }
}
