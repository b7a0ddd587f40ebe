using GenStore.Generations;

namespace GenStore.Agent.Tests;

/// <summary>Thirty simulated hosts against one bare repo served by git daemon on 127.0.0.1: canaries, widening, bad commits, metrics.</summary>
public sealed class FleetTests : IDisposable
{
    private const int Size = 30;
    private readonly ConfigRepo _repo = new();
    private readonly GitDaemon _daemon;
    private readonly Fleet _fleet;

    public FleetTests()
    {
        _daemon = new GitDaemon(Path.GetDirectoryName(_repo.BarePath)!);
        _fleet = new Fleet(Size, $"{_daemon.BaseUrl}/fleet.git");
    }

    [Fact]
    public void A_canary_at_10_percent_moves_exactly_the_bucketed_hosts_and_widening_to_50_percent_moves_more()
    {
        var stable = _repo.CommitOn("main", ("fleet.gen", Canary(10)));
        _repo.Publish("canary", stable);
        var first = _fleet.Round();
        Assert.All(first.Values, run => Assert.Equal(AgentResult.Switched, run.Result));
        Assert.All(_fleet.Hosts, host => Assert.Equal(stable, host.Commit));

        var canary = _repo.CommitOn("canary", ("main.gen", ConfigRepo.App("good 2")));
        var second = _fleet.Round();
        var tenPercent = Bucketed(10);
        Assert.NotEmpty(tenPercent);
        Assert.Equal(tenPercent, OnCommit(canary));
        Assert.All(_fleet.Hosts.Where(h => !tenPercent.Contains(h.Id)), host =>
        {
            Assert.Equal(stable, host.Commit);
            Assert.Equal(AgentResult.UpToDate, second[host.Id].Result);
            Assert.Equal("stable", second[host.Id].Track);
        });

        // Widening is a one-line commit to fleet.gen on the default branch.
        _repo.CommitOn("main", ("fleet.gen", Canary(50)));
        _fleet.Round();
        var fiftyPercent = Bucketed(50);
        Assert.Superset(tenPercent, fiftyPercent);
        Assert.True(fiftyPercent.Count > tenPercent.Count, $"50% picked {fiftyPercent.Count} hosts, 10% picked {tenPercent.Count}");
        Assert.Equal(fiftyPercent, OnCommit(canary));

        // Every host's metrics file names the commit it runs and its track. The widening commit compiles to the same
        // journal as before, so stable hosts keep the generation (and commit) they have and are not behind.
        Assert.All(_fleet.Hosts, host =>
        {
            var onCanary = fiftyPercent.Contains(host.Id);
            var commit = onCanary ? canary : stable;
            Assert.Equal(commit, host.Commit);
            Assert.Contains($"commit=\"{commit}\"", host.MetricsText, StringComparison.Ordinal);
            Assert.Contains($"track=\"{(onCanary ? "canary" : "stable")}\"", host.MetricsText, StringComparison.Ordinal);
            Assert.Contains("gen_behind_head 0\n", host.MetricsText, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_bad_canary_commit_rolls_the_canary_hosts_back_leaves_stable_hosts_untouched_and_is_not_retried()
    {
        _repo.CommitOn("main", ("fleet.gen", """
            track "canary" {
              branch = "canary"
              hosts  = ["web-0*"]
            }
            """));
        var good = _repo.Work.Git("rev-parse", "main").Trim();
        _repo.Publish("canary", good);
        _fleet.Round();
        var before = _fleet.Hosts.ToDictionary(h => h.Id, h => h.Generation);

        var bad = _repo.CommitOn("canary", ("main.gen", ConfigRepo.App("broken")));
        var runs = _fleet.Round();
        var canaries = _fleet.Hosts.Where(h => h.Id.StartsWith("web-0", StringComparison.Ordinal)).ToList();
        Assert.Equal(9, canaries.Count);
        foreach (var host in _fleet.Hosts)
        {
            Assert.Equal(good, host.Commit);
            Assert.Equal("good 1\n", File.ReadAllText(Path.Combine(host.Root, "srv/app.conf")));
            if (canaries.Contains(host))
            {
                Assert.Equal(AgentResult.HealthFailed, runs[host.Id].Result);
                Assert.Contains(host.Log, l => l.StartsWith("gen-agent: event=health-failure", StringComparison.Ordinal));
                Assert.Contains(host.Log, l => l.StartsWith("gen-agent: event=rollback", StringComparison.Ordinal));
                Assert.True(host.Read(e => e.Db.IsBad(bad)));
                Assert.Contains("gen_errors_total{kind=\"health-failure\"} 1\n", host.MetricsText, StringComparison.Ordinal);
                Assert.Contains("gen_behind_head 1\n", host.MetricsText, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(AgentResult.UpToDate, runs[host.Id].Result);
                Assert.Equal(before[host.Id], host.Generation);
            }
        }

        // The bad commit is remembered: the next round does not switch to it again.
        var generations = canaries.ToDictionary(h => h.Id, h => h.Read(e => e.Db.List().Count));
        var again = _fleet.Round();
        Assert.All(canaries, host =>
        {
            Assert.Equal(AgentResult.KnownBad, again[host.Id].Result);
            Assert.Equal(generations[host.Id], host.Read(e => e.Db.List().Count));
        });

        // A newer commit is tried again.
        var fixedCommit = _repo.CommitOn("canary", ("main.gen", ConfigRepo.App("good 3")));
        var fixedRuns = _fleet.Round();
        Assert.All(canaries, host =>
        {
            Assert.Equal(AgentResult.Switched, fixedRuns[host.Id].Result);
            Assert.Equal(fixedCommit, host.Commit);
        });
    }

    public void Dispose()
    {
        _fleet.Dispose();
        _daemon.Dispose();
        _repo.Dispose();
    }

    private static string Canary(int percent) => $"track \"canary\" {{\n  branch  = \"canary\"\n  percent = {percent}\n}}\n";

    private HashSet<string> Bucketed(int percent) =>
        [.. _fleet.Hosts.Where(h => TrackChooser.Bucket(h.Id, "canary") < percent).Select(h => h.Id)];

    private HashSet<string> OnCommit(string commit) => [.. _fleet.Hosts.Where(h => h.Commit == commit).Select(h => h.Id)];
}
