using System.Buffers.Binary;
using System.Text;
using GenStore.Config;

namespace GenStore.Agent;

/// <summary>The track a host follows: its name and branch.</summary>
/// <param name="Name">The track's name (<c>stable</c> for the default branch).</param>
/// <param name="Branch">The branch the host converges on.</param>
public sealed record TrackChoice(string Name, string Branch);

/// <summary>Picks a host's track from the tracks of <c>fleet.gen</c>: explicit host globs first, then the percent buckets, else the default branch.</summary>
/// <remarks>
/// The bucket of a host for a track is <c>BLAKE3(host id + "\n" + track name)</c>, its first 8 bytes read as a
/// little-endian unsigned integer, modulo 100. A host is in a track's percentage when its bucket is below the
/// percent, so widening 10 → 50 keeps every host that was in and adds more; and the track name in the hash makes
/// each track pick a different slice of the fleet.
/// </remarks>
public static class TrackChooser
{
    /// <summary>The track name reported for hosts no track picks.</summary>
    public const string DefaultTrack = "stable";

    /// <summary>The host's bucket (0–99) for <paramref name="track"/>.</summary>
    public static int Bucket(string hostId, string track)
    {
        var digest = Store.Blake3.Hash(Encoding.UTF8.GetBytes(hostId + "\n" + track)).ToArray();
        return (int)(BinaryPrimitives.ReadUInt64LittleEndian(digest) % 100);
    }

    /// <summary>The track <paramref name="hostId"/> follows; <paramref name="defaultBranch"/> when none picks it.</summary>
    public static TrackChoice Choose(IReadOnlyList<FleetTrack> tracks, string hostId, string defaultBranch)
    {
        foreach (var track in tracks)
        {
            if (track.Hosts.Any(glob => HostGlob.IsMatch(glob, hostId)))
            {
                return new TrackChoice(track.Name, track.Branch);
            }
        }

        foreach (var track in tracks)
        {
            if (Bucket(hostId, track.Name) < track.Percent)
            {
                return new TrackChoice(track.Name, track.Branch);
            }
        }

        return new TrackChoice(DefaultTrack, defaultBranch);
    }
}
