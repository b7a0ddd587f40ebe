using GenStore.Store;

namespace GenStore.Journal;

/// <summary>What the static checks may know about the machine: a root to look for present paths, its accounts, the store.</summary>
/// <remarks>
/// Everything is optional so that checks are deterministic in tests. Without <see cref="Root"/>, a parent counts as
/// present only when the journal creates it or declares it (or an ancestor of it) <c>EXTERNAL</c>.
/// </remarks>
public sealed class CheckOptions
{
    /// <summary>The filesystem root a journal will be applied under; existing directories there count as present parents.</summary>
    public string? Root { get; init; }

    /// <summary>User names that exist without the journal; null means those of <c>ROOT/etc/passwd</c>. <c>root</c> always counts.</summary>
    public IReadOnlySet<string>? SystemUsers { get; init; }

    /// <summary>Group names that exist without the journal; null means those of <c>ROOT/etc/group</c>. <c>root</c> always counts.</summary>
    public IReadOnlySet<string>? SystemGroups { get; init; }

    /// <summary>Answers whether a payload is in the store; null skips the payload check.</summary>
    public Func<ObjectId, bool>? PayloadExists { get; init; }
}

/// <summary>Reads account names from <c>/etc/passwd</c>-style and <c>/etc/group</c>-style files.</summary>
public static class AccountFiles
{
    /// <summary>The first field of every line of a colon-separated account file; empty when the file does not exist.</summary>
    public static IReadOnlySet<string> ReadNames(string path)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return names;
        }

        foreach (var line in File.ReadLines(path))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && !line.StartsWith('#'))
            {
                names.Add(line[..colon]);
            }
        }

        return names;
    }
}

/// <summary>The static checks of DESIGN §5: every problem of a journal in one pass, each with its own code.</summary>
public static class JournalChecker
{
    /// <summary>Every problem of <paramref name="journal"/>, in journal order; empty when it may be applied.</summary>
    public static IReadOnlyList<JournalProblem> Check(Journal journal, CheckOptions? options = null)
    {
        options ??= new CheckOptions();
        var run = new Run(journal, options);
        run.CheckAll();
        return run.Problems;
    }

    private sealed class Run(Journal journal, CheckOptions options)
    {
        private readonly Dictionary<string, Step> _badSpellings = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (Step Step, int Index)> _allPaths = new(journal.Steps.Count, StringComparer.Ordinal);
        private readonly Dictionary<string, int> _triggersAt = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _usersAt = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _groupsAt = new(StringComparer.Ordinal);
        private readonly Dictionary<string, ExternalPath> _externals = new(StringComparer.Ordinal);
        private readonly HashSet<string> _externalAncestors = new(StringComparer.Ordinal);
        private readonly HashSet<string> _links = new(StringComparer.Ordinal);
        private readonly IReadOnlySet<string> _systemUsers = options.SystemUsers ?? SystemNames(options.Root, "passwd");
        private readonly IReadOnlySet<string> _systemGroups = options.SystemGroups ?? SystemNames(options.Root, "group");

        private int _patternsTried;

        public List<JournalProblem> Problems { get; } = [];

        public void CheckAll()
        {
            var steps = journal.Steps;
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                switch (step)
                {
                    case LinkStep l:
                        _links.Add(l.Path);
                        _allPaths.TryAdd(l.Path, (step, i));
                        break;
                    case MkdirStep or CopyStep:
                        _allPaths.TryAdd(step.Identity.Name, (step, i));
                        break;
                    case UserStep u:
                        _usersAt.TryAdd(u.Name, i);
                        break;
                    case GroupStep g:
                        _groupsAt.TryAdd(g.Name, i);
                        break;
                    case RunStep r:
                        _triggersAt.TryAdd(r.Name, i);
                        break;
                }
            }

            foreach (var external in journal.Externals)
            {
                if (JournalPaths.Problem(external.Path) is { } bad)
                {
                    Report(JournalCodes.BadPath, external.Location, external.Source, $"EXTERNAL {JournalSyntax.Format(external.Path)}: {bad}");
                    continue;
                }

                _externals.TryAdd(external.Path, external);
                foreach (var ancestor in JournalPaths.Ancestors(external.Path))
                {
                    _externalAncestors.Add(ancestor);
                }

                if (_allPaths.TryGetValue(external.Path, out var managed))
                {
                    Report(JournalCodes.ExternalManaged, external.Location, external.Source,
                        $"{JournalSyntax.Format(external.Path)} is declared EXTERNAL but {Describe(managed.Step)} manages it; drop one of the two");
                }
            }

            foreach (var include in journal.Includes)
            {
                Report(JournalCodes.UnresolvedInclude, include.Location, SourceSpan.None,
                    $"INCLUDE {JournalSyntax.Format(include.File)} is not resolved; a journal to store or apply must be self-contained, so load it with its includes (JournalLoader, gen journal check)");
            }

            for (var i = 0; i < steps.Count; i++)
            {
                CheckStep(steps[i], i);
            }

            CheckTriggers();
        }

        private void CheckStep(Step step, int index)
        {
            var firstIndex = step switch
            {
                UserStep u => _usersAt[u.Name],
                GroupStep g => _groupsAt[g.Name],
                RunStep r => _triggersAt[r.Name],
                _ => _allPaths[step.Identity.Name].Index,
            };
            if (firstIndex != index)
            {
                Report(JournalCodes.DuplicateIdentity, step, $"{step.Identity} is already defined at {Line(journal.Steps[firstIndex])}; keep one of the two steps");
                return;
            }

            switch (step)
            {
                case MkdirStep m:
                    CheckPath(step, m.Path, index);
                    CheckMode(step, m.Mode);
                    CheckOwner(step, m.Owner, m.Group, index);
                    break;
                case CopyStep c:
                    CheckPath(step, c.Path, index);
                    CheckMode(step, c.Mode);
                    CheckOwner(step, c.Owner, c.Group, index);
                    if (options.PayloadExists is { } exists && !exists(c.Payload))
                    {
                        Report(JournalCodes.PayloadMissing, step, $"payload {c.Payload} of {JournalSyntax.Format(c.Path)} is not in the store; add it (gen store add) or recompile");
                    }

                    break;
                case LinkStep l:
                    CheckPath(step, l.Path, index);
                    if (l.Target.Length == 0 || l.Target.Contains('\0', StringComparison.Ordinal))
                    {
                        Report(JournalCodes.BadValue, step, "a link target must be non-empty and without NUL characters");
                    }

                    break;
                case GroupStep g:
                    CheckName(step, g.Name, "group");
                    break;
                case UserStep u:
                    CheckName(step, u.Name, "user");
                    if (u.PrimaryGroup is { } primary)
                    {
                        CheckGroup(step, primary, index);
                    }

                    foreach (var group in u.Groups)
                    {
                        CheckGroup(step, group, index);
                    }

                    if (u.Home is { } home && JournalPaths.Problem(home) is { } badHome)
                    {
                        Report(JournalCodes.BadPath, step, $"home={JournalSyntax.Format(home)}: {badHome}");
                    }
                    else if (u.Home is { } homeDir && _allPaths.TryGetValue(homeDir, out var atHome) && atHome.Step is not MkdirStep)
                    {
                        // useradd makes the home folder; a file or link managed at the same path would be written twice.
                        Report(JournalCodes.PathWrittenTwice, step, $"the home folder {JournalSyntax.Format(homeDir)} of user {JournalSyntax.Format(u.Name)} is also written by {Describe(atHome.Step)}; give the user another home or drop that step");
                    }

                    if (u.Shell is { } shell && JournalPaths.Problem(shell) is { } badShell)
                    {
                        Report(JournalCodes.BadPath, step, $"shell={JournalSyntax.Format(shell)}: {badShell}");
                    }

                    break;
                case RunStep r:
                    if (r.Name.Length == 0)
                    {
                        Report(JournalCodes.BadName, step, "a trigger needs a non-empty name");
                    }

                    if (r.Argv.Count == 0 || r.Argv[0].Length == 0)
                    {
                        Report(JournalCodes.BadValue, step, $"trigger {JournalSyntax.Format(r.Name)} has no program to run; give argv=[\"program\",…]");
                    }

                    break;
            }
        }

        private void CheckPath(Step step, string path, int index)
        {
            if (JournalPaths.Problem(path) is { } bad)
            {
                Report(JournalCodes.BadPath, step, $"{JournalSyntax.Format(path)}: {bad}");
                var normal = path.StartsWith('/') ? JournalPaths.Normalise(path) : null;
                if (normal is null || normal == "/")
                {
                    return;
                }

                var twin = _allPaths.TryGetValue(normal, out var same) ? same.Step : _badSpellings.GetValueOrDefault(normal);
                if (twin is not null)
                {
                    Report(JournalCodes.PathWrittenTwice, step, $"{JournalSyntax.Format(path)} is the same path as {Describe(twin)}; keep one of the two steps");
                }
                else
                {
                    _badSpellings[normal] = step;
                }

                return;
            }

            if (_badSpellings.Count > 0 && _badSpellings.TryGetValue(path, out var earlier))
            {
                Report(JournalCodes.PathWrittenTwice, step, $"{JournalSyntax.Format(path)} is the same path as {Describe(earlier)}; keep one of the two steps");
            }

            // Ancestors are looked up as slices of the path, so the common case allocates nothing.
            var paths = _allPaths.GetAlternateLookup<ReadOnlySpan<char>>();
            if (_links.Count > 0)
            {
                var links = _links.GetAlternateLookup<ReadOnlySpan<char>>();
                for (var cut = path.LastIndexOf('/'); cut > 0; cut = path.LastIndexOf('/', cut - 1))
                {
                    if (links.Contains(path.AsSpan(0, cut)))
                    {
                        var ancestor = path[..cut];
                        Report(JournalCodes.InsideLink, step, $"{JournalSyntax.Format(path)} lies inside the link {JournalSyntax.Format(ancestor)} made at {Line(_allPaths[ancestor].Step)}; gen never writes through a link");
                        return;
                    }
                }
            }

            var slash = path.LastIndexOf('/');
            if (slash <= 0)
            {
                return;
            }

            var parentSpan = path.AsSpan(0, slash);
            if (paths.TryGetValue(parentSpan, out var owner))
            {
                if (owner.Step is not MkdirStep)
                {
                    Report(JournalCodes.ParentMissing, step, $"the parent {JournalSyntax.Format(parentSpan.ToString())} is not a directory but {Describe(owner.Step)}");
                    return;
                }

                if (owner.Index < index)
                {
                    return;
                }

                Report(JournalCodes.ParentMissing, step, $"the parent {JournalSyntax.Format(parentSpan.ToString())} is created later, at {Line(owner.Step)}; move that MKDIR before this step");
                return;
            }

            if (_externals.Count > 0
                && (_externals.GetAlternateLookup<ReadOnlySpan<char>>().ContainsKey(parentSpan) || _externalAncestors.GetAlternateLookup<ReadOnlySpan<char>>().Contains(parentSpan)))
            {
                return;
            }

            var parent = parentSpan.ToString();
            if (options.Root is { } root && Directory.Exists(Path.Join(root, parent)))
            {
                return;
            }

            Report(JournalCodes.ParentMissing, step,
                $"the parent {JournalSyntax.Format(parent)} is not created by this journal{(options.Root is null ? string.Empty : " nor present under the root")}; add MKDIR {JournalSyntax.Format(parent)} before it or declare EXTERNAL {JournalSyntax.Format(parent)}");
        }

        private void CheckMode(Step step, int mode)
        {
            if (mode is < 0 or > 0xfff)
            {
                Report(JournalCodes.BadValue, step, $"mode {mode} is outside 0000–7777");
            }
        }

        private void CheckOwner(Step step, string owner, string group, int index)
        {
            CheckAccount(step, owner, "user", _systemUsers, _usersAt, "USER", index);
            CheckGroup(step, group, index);
        }

        private void CheckGroup(Step step, string group, int index) =>
            CheckAccount(step, group, "group", _systemGroups, _groupsAt, "GROUP", index);

        private void CheckAccount(Step step, string name, string what, IReadOnlySet<string> system, Dictionary<string, int> createdAt, string keyword, int index)
        {
            // root (uid and gid 0) exists on every system, whatever the lists say.
            if (name == "root" || system.Contains(name))
            {
                return;
            }

            if (createdAt.TryGetValue(name, out var at))
            {
                if (at < index)
                {
                    return;
                }

                if (at > index)
                {
                    Report(JournalCodes.UnknownAccount, step, $"{what} {JournalSyntax.Format(name)} is created later, at {Line(journal.Steps[at])}; move that {keyword} line before this step");
                    return;
                }
            }

            Report(JournalCodes.UnknownAccount, step, $"{what} {JournalSyntax.Format(name)} is neither a system account nor created earlier; add a {keyword} line before this step");
        }

        private void CheckName(Step step, string name, string what)
        {
            var bad = name.Length is 0 or > 32
                || name[0] is '-' or '+' or '~'
                || name.All(char.IsAsciiDigit)
                || name.Any(c => c is ':' or ',' or '/' or '\\' or '"' || char.IsWhiteSpace(c) || char.IsControl(c));
            if (bad)
            {
                Report(JournalCodes.BadName, step, $"{JournalSyntax.Format(name)} is not a valid {what} name: use 1–32 characters without ':', ',', '/', blanks or control characters, not all digits, not starting with '-', '+' or '~'");
            }
        }

        private void CheckTriggers()
        {
            string[]? sorted = null;
            foreach (var step in journal.Steps)
            {
                if (step is not RunStep run || !ReferenceEquals(journal.Steps[_triggersAt[run.Name]], run))
                {
                    continue;
                }

                if (run.On.Count == 0)
                {
                    Report(JournalCodes.PatternMatchesNothing, step, $"trigger {JournalSyntax.Format(run.Name)} has no on= pattern, so it never runs; add one or drop the trigger");
                    continue;
                }

                foreach (var pattern in run.On)
                {
                    // A few patterns scan the paths (stopping at the first match); many pay once for sorting them.
                    var matches = ++_patternsTried <= 32
                        ? _allPaths.Keys.Any(path => PathGlob.IsMatch(pattern, path))
                        : MatchesAny(sorted ??= [.. _allPaths.Keys.Order(StringComparer.Ordinal)], pattern);
                    if (!matches)
                    {
                        Report(JournalCodes.PatternMatchesNothing, step, $"pattern {JournalSyntax.Format(pattern)} of trigger {JournalSyntax.Format(run.Name)} matches no path of this journal; fix the pattern");
                    }
                }
            }
        }

        private static bool MatchesAny(string[] sortedPaths, string pattern)
        {
            // Every match starts with the literal prefix, so only that slice of the sorted paths is tried.
            var prefix = PathGlob.LiteralPrefix(pattern);
            var lo = Array.BinarySearch(sortedPaths, prefix, StringComparer.Ordinal);
            if (lo < 0)
            {
                lo = ~lo;
            }

            for (var i = lo; i < sortedPaths.Length && sortedPaths[i].StartsWith(prefix, StringComparison.Ordinal); i++)
            {
                if (PathGlob.IsMatch(pattern, sortedPaths[i]))
                {
                    return true;
                }
            }

            return false;
        }

        private void Report(string code, Step step, string message) => Report(code, step.Location, step.Source, message);

        private void Report(string code, SourceSpan location, SourceSpan source, string message) =>
            Problems.Add(new JournalProblem(code, location.File, location.Line, location.Line > 0 ? 1 : 0, message) { Source = source });

        private static string Line(Step step) =>
            step.Location.Line > 0 ? $"{step.Location.File}:{step.Location.Line}" : step.Source.ToString();

        private static string Describe(Step step) => $"the {step.Keyword} at {Line(step)}";

        private static IReadOnlySet<string> SystemNames(string? root, string file) =>
            root is null
                ? new HashSet<string>(StringComparer.Ordinal) { "root" }
                : new HashSet<string>(AccountFiles.ReadNames(Path.Join(root, "etc", file)), StringComparer.Ordinal) { "root" };
    }
}
