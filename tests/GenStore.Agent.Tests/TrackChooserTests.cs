using GenStore.Config;

namespace GenStore.Agent.Tests;

/// <summary>fleet.gen and the track choice: globs first, then buckets, else the default branch.</summary>
public sealed class TrackChooserTests
{
    private static readonly string[] Hosts = [.. Enumerable.Range(0, 1000).Select(i => $"host-{i}")];

    [Fact]
    public void Fleet_gen_tracks_are_read_in_file_order()
    {
        var tracks = FleetFile.Parse("""
            # canary first
            track "canary" { branch = "canary"  hosts = ["web-01", "db-*"]  percent = 10 }
            track "beta" {
              branch = "beta"
              percent = 25
            }
            """);

        Assert.Equal(["canary", "beta"], tracks.Select(t => t.Name));
        Assert.Equal(["web-01", "db-*"], tracks[0].Hosts);
        Assert.Equal(10, tracks[0].Percent);
        Assert.Equal("beta", tracks[1].Branch);
        Assert.Empty(tracks[1].Hosts);
    }

    [Theory]
    [InlineData("file \"/etc/x\" { content = \"x\" }\n", "fleet.gen:1:1: unknown block 'file'")]
    [InlineData("track \"a\" { hosts = [\"x\"] }\n", "fleet.gen:1:1: the track block has no branch")]
    [InlineData("track \"a\" { branch = \"a\" percent = 101 }\n", "fleet.gen:1:36: percent must be a whole number from 0 to 100")]
    [InlineData("track \"a\" { branch = \"a\" colour = \"red\" }\n", "fleet.gen:1:26: unknown attribute 'colour'")]
    [InlineData("track \"a\" { branch = \"a\" }\ntrack \"a\" { branch = \"b\" }\n", "fleet.gen:2:1: the track 'a' is defined twice")]
    [InlineData("track \"a\" { branch = \"a\"\n", "fleet.gen:1:1: the track block is not closed")]
    public void A_broken_fleet_file_names_file_line_and_column(string text, string message)
    {
        var error = Assert.Throws<InputException>(() => FleetFile.Parse(text));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_host_glob_wins_over_an_earlier_percent_bucket()
    {
        var tracks = new[]
        {
            new FleetTrack("everyone", "everyone", [], 100, default),
            new FleetTrack("db", "db-branch", ["db-*"], 0, default),
        };

        Assert.Equal(new TrackChoice("db", "db-branch"), TrackChooser.Choose(tracks, "db-7", "main"));
        Assert.Equal(new TrackChoice("everyone", "everyone"), TrackChooser.Choose(tracks, "web-7", "main"));
    }

    [Fact]
    public void A_host_no_track_picks_follows_the_default_branch_as_stable()
    {
        var tracks = new[] { new FleetTrack("canary", "canary", ["web-01"], 0, default) };

        Assert.Equal(new TrackChoice("stable", "main"), TrackChooser.Choose(tracks, "web-02", "main"));
    }

    [Fact]
    public void Buckets_are_stable_spread_evenly_and_differ_between_tracks()
    {
        var buckets = Hosts.Select(h => TrackChooser.Bucket(h, "canary")).ToList();

        Assert.Equal(buckets, Hosts.Select(h => TrackChooser.Bucket(h, "canary")));
        Assert.All(buckets, b => Assert.InRange(b, 0, 99));
        Assert.InRange(buckets.Count(b => b < 10), 60, 140);
        Assert.NotEqual(buckets, Hosts.Select(h => TrackChooser.Bucket(h, "beta")));
    }

    [Fact]
    public void The_bucket_is_the_first_8_bytes_of_blake3_of_host_and_track_little_endian_mod_100()
    {
        var digest = Store.Blake3.Hash("web-01\ncanary"u8).ToArray();
        var expected = (int)(BitConverter.ToUInt64(digest, 0) % 100);

        Assert.Equal(expected, TrackChooser.Bucket("web-01", "canary"));
    }
}
