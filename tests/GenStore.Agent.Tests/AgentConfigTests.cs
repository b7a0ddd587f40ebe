namespace GenStore.Agent.Tests;

/// <summary>The gen.conf format: every key, defaults, and positioned errors.</summary>
public sealed class AgentConfigTests
{
    [Fact]
    public void Every_key_is_read_with_quotes_comments_and_durations()
    {
        var config = AgentConfig.Parse("""
            # the fleet
            remote = ssh://git@config.example.org/fleet.git
            host_id = "web-01"
            metrics_path = /var/lib/prometheus/node-exporter/gen.prom
            trust = on
            allowed_signers = /etc/gen/allowed_signers
            health_check = ["/usr/local/bin/check", "--quick"]
            health_timeout = 90s
            interval = 5m
            jitter = 1h
            state = /srv/gen-state
            root = /mnt/image
            """, "gen.conf");

        Assert.Equal("ssh://git@config.example.org/fleet.git", config.Remote);
        Assert.Equal("web-01", config.HostId);
        Assert.Equal("/var/lib/prometheus/node-exporter/gen.prom", config.MetricsPath);
        Assert.True(config.Trust);
        Assert.Equal("/etc/gen/allowed_signers", config.AllowedSigners);
        Assert.Equal(["/usr/local/bin/check", "--quick"], config.HealthCheck);
        Assert.Equal(TimeSpan.FromSeconds(90), config.HealthTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), config.Interval);
        Assert.Equal(TimeSpan.FromHours(1), config.Jitter);
        Assert.Equal("/srv/gen-state", config.State);
        Assert.Equal("/mnt/image", config.Root);
    }

    [Fact]
    public void The_host_id_defaults_to_the_host_name_and_trust_to_off()
    {
        var config = AgentConfig.Parse(string.Empty, "gen.conf");

        Assert.Equal(Environment.MachineName, config.HostId);
        Assert.False(config.Trust);
        Assert.Empty(config.HealthCheck);
    }

    [Theory]
    [InlineData("remote = a\ncolour = blue\n", "gen.conf:2: unknown key 'colour'")]
    [InlineData("trust = maybe\n", "gen.conf:1: trust must be on or off")]
    [InlineData("interval = soon\n", "gen.conf:1: 'interval' must be a duration")]
    [InlineData("health_check = /bin/check --quick\n", "gen.conf:1: health_check must be an argv list")]
    [InlineData("remote = a\nremote = b\n", "gen.conf:2: 'remote' is set twice")]
    [InlineData("just words\n", "gen.conf:1: expected 'key = value'")]
    public void A_bad_line_is_an_error_naming_the_file_and_line(string text, string message)
    {
        var error = Assert.Throws<InputException>(() => AgentConfig.Parse(text, "gen.conf"));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_default_file_gives_the_defaults_but_a_named_missing_file_is_an_error()
    {
        Assert.Null(AgentConfig.Load("/nonexistent/gen.conf", optional: true).Remote);
        Assert.Throws<InputException>(() => AgentConfig.Load("/nonexistent/gen.conf", optional: false));
    }
}
