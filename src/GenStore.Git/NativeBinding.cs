using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace GenStore.Git;

/// <summary>Binds LibGit2Sharp's native import to Debian's libgit2, since the native package that would ship it is not available.</summary>
/// <remarks>
/// LibGit2Sharp 0.29 imports <c>git2-a2bde63</c> and, in its own static constructor, installs a
/// <see cref="NativeLibrary.SetDllImportResolver"/> for its assembly (which looks in
/// <c>GlobalSettings.NativeLibraryPath</c> and its own <c>runtimes/</c> folders). Only one resolver per assembly is
/// allowed, so installing ours would make its type initializer throw. Instead we hook the load context's
/// <see cref="AssemblyLoadContext.ResolvingUnmanagedDll"/>, which the runtime consults exactly when that resolver and
/// the default probing found nothing — always the case here, as no <c>git2-*.so</c> is shipped.
/// </remarks>
internal static class NativeBinding
{
    /// <summary>The shared library LibGit2Sharp's P/Invokes are bound to (Debian package libgit2-1.5).</summary>
    internal const string DebianLibrary = "libgit2.so.1.5";

    private static int _registered;

    /// <summary>Registers the binding once, before any LibGit2Sharp type is touched.</summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "the binding must be in place before LibGit2Sharp's first P/Invoke, whichever entry point is used first")]
    internal static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) != 0)
        {
            return;
        }

        var assembly = typeof(LibGit2Sharp.Repository).Assembly;
        var context = AssemblyLoadContext.GetLoadContext(assembly) ?? AssemblyLoadContext.Default;
        context.ResolvingUnmanagedDll += Resolve;
    }

    private static IntPtr Resolve(Assembly assembly, string name)
    {
        // Only LibGit2Sharp's "git2-<libgit2 commit>" is ours to map; anything else stays unresolved.
        if (!name.StartsWith("git2-", StringComparison.Ordinal) || assembly != typeof(LibGit2Sharp.Repository).Assembly)
        {
            return IntPtr.Zero;
        }

        if (NativeLibrary.TryLoad(DebianLibrary, out var handle)
            || NativeLibrary.TryLoad("/usr/lib/x86_64-linux-gnu/" + DebianLibrary, out handle)
            || NativeLibrary.TryLoad("/usr/lib/aarch64-linux-gnu/" + DebianLibrary, out handle))
        {
            return handle;
        }

        throw new DllNotFoundException($"{DebianLibrary} not found; install the Debian package libgit2-1.5 (apt-get install libgit2-1.5)");
    }
}
