namespace GenStore.Journal.Tests;

public sealed class PathGlobTests
{
    [Theory]
    [InlineData("/etc/nginx/**", "/etc/nginx/a/b/c", true)]
    [InlineData("/etc/nginx/**", "/etc/nginx", true)]
    [InlineData("/etc/nginx/**", "/etc/nginxx", false)]
    [InlineData("/etc/*.conf", "/etc/a.conf", true)]
    [InlineData("/etc/*.conf", "/etc/d/a.conf", false)]
    [InlineData("/etc/**/*.conf", "/etc/d/e/a.conf", true)]
    [InlineData("/etc/?", "/etc/a", true)]
    [InlineData("/etc/?", "/etc/ab", false)]
    [InlineData("/etc/a", "/etc/a", true)]
    [InlineData("/etc/a", "/etc/ab", false)]
    [InlineData("/etc/*", "/etc/", true)]
    [InlineData("**", "/anything/at/all", true)]
    public void Stars_stay_in_one_component_and_double_stars_cross_them(string pattern, string path, bool matches)
    {
        Assert.Equal(matches, PathGlob.IsMatch(pattern, path));
    }

    [Theory]
    [InlineData("/etc/nginx/**", "/etc/nginx")]
    [InlineData("/etc/*.conf", "/etc/")]
    [InlineData("/etc/a", "/etc/a")]
    public void The_literal_prefix_is_what_every_match_starts_with(string pattern, string prefix)
    {
        Assert.Equal(prefix, PathGlob.LiteralPrefix(pattern));
    }
}
