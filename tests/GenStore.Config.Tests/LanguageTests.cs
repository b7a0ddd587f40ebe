using GenStore.Journal;

namespace GenStore.Config.Tests;

public sealed class LanguageTests
{
    [Fact]
    public void A_dir_block_makes_a_mkdir_step_with_default_mode_and_owner()
    {
        using var config = new ConfigFixture().Write("main.gen", """
            dir "/etc/app" { }
            dir "/etc/app/conf.d" { mode = "0750"  owner = "www-data"  group = "adm" }
            """);

        Assert.Equal(
            ["MKDIR /etc/app 0755 root root @main.gen:1:1", "MKDIR /etc/app/conf.d 0750 www-data adm @main.gen:2:1"],
            config.Lines());
    }

    [Fact]
    public void A_file_block_copies_a_source_file_or_inline_content()
    {
        using var config = new ConfigFixture()
            .Write("files/a.conf", "a = 1\n")
            .Write("files/run.sh", "#!/bin/sh\n", executable: true)
            .Write("main.gen", """
                file "/etc/a.conf" { source = "files/a.conf" }
                file "/usr/local/bin/run" { source = "./files/run.sh" }
                file "/etc/b.conf" { content = "line one\nline \"two\"\n"  mode = "0600"  owner = "root"  group = "adm" }
                file "/etc/c.conf" { content = "x"  mode = 0640 }
                """);
        var result = config.Compile();

        Assert.True(result.Succeeded, result.RenderDiagnostics());
        var steps = result.Journal!.Steps.Cast<CopyStep>().ToArray();
        Assert.Equal(["/etc/a.conf", "/usr/local/bin/run", "/etc/b.conf", "/etc/c.conf"], steps.Select(s => s.Path));
        Assert.Equal([0x1A4, 0x1ED, 0x180, 0x1A0], steps.Select(s => s.Mode));
        Assert.Equal("adm", steps[2].Group);
        Assert.Equal("a = 1\n", config.Content(result, "/etc/a.conf"));
        Assert.Equal("line one\nline \"two\"\n", config.Content(result, "/etc/b.conf"));
        Assert.True(config.Store.Contains(steps[1].Payload));
    }

    [Fact]
    public void A_tree_block_mirrors_every_file_folder_exec_bit_and_symlink()
    {
        using var config = new ConfigFixture()
            .Write("www/index.html", "<h1>hi</h1>\n")
            .Write("www/b/deep/x.txt", "x\n")
            .Write("www/a/tool.sh", "#!/bin/sh\n", executable: true)
            .Symlink("www/latest", "b/deep")
            .Write("main.gen", """
                tree "/srv/www" { source = "www/"  owner = "deploy"  group = "deploy" }
                """);

        Assert.Equal(
            [
                "MKDIR /srv/www 0755 deploy deploy @main.gen:1:1",
                "MKDIR /srv/www/a 0755 deploy deploy @main.gen:1:1",
                "COPY /srv/www/a/tool.sh b3:… 0755 deploy deploy @main.gen:1:1",
                "MKDIR /srv/www/b 0755 deploy deploy @main.gen:1:1",
                "MKDIR /srv/www/b/deep 0755 deploy deploy @main.gen:1:1",
                "COPY /srv/www/b/deep/x.txt b3:… 0644 deploy deploy @main.gen:1:1",
                "COPY /srv/www/index.html b3:… 0644 deploy deploy @main.gen:1:1",
                "LINK /srv/www/latest b/deep @main.gen:1:1",
            ],
            config.Lines());
    }

    [Fact]
    public void A_tree_block_takes_dir_and_file_modes_and_derives_the_exec_mode()
    {
        using var config = new ConfigFixture()
            .Write("t/plain", "p\n")
            .Write("t/exe", "e\n", executable: true)
            .Write("main.gen", "tree \"/opt/t\" { source = \"t\"  dir_mode = \"0750\"  file_mode = \"0640\" }\n");

        Assert.Equal(
            ["MKDIR /opt/t 0750 root root @main.gen:1:1", "COPY /opt/t/exe b3:… 0750 root root @main.gen:1:1", "COPY /opt/t/plain b3:… 0640 root root @main.gen:1:1"],
            config.Lines());
    }

    [Fact]
    public void Link_group_user_and_on_change_blocks_make_their_steps()
    {
        using var config = new ConfigFixture().Write("main.gen", """
            link "/etc/alternatives/editor" { target = "/usr/bin/vim.basic" }
            group "deploy" { gid = 1001 }
            group "ops" { }
            user "deploy" { uid = 1001  group = "deploy"  groups = ["sudo", "adm"]  home = "/home/deploy"  shell = "/bin/bash" }
            user "svc" { }
            on_change "reload-nginx" { paths = ["/etc/nginx/**", "/srv/www/*"]  run = ["systemctl", "reload", "nginx"] }
            """);

        Assert.Equal(
            [
                "LINK /etc/alternatives/editor /usr/bin/vim.basic @main.gen:1:1",
                "GROUP deploy gid=1001 @main.gen:2:1",
                "GROUP ops @main.gen:3:1",
                "USER deploy uid=1001 group=deploy groups=sudo,adm home=/home/deploy shell=/bin/bash @main.gen:4:1",
                "USER svc @main.gen:5:1",
                "RUN reload-nginx on=/etc/nginx/**,/srv/www/* argv=[\"systemctl\",\"reload\",\"nginx\"] @main.gen:6:1",
            ],
            config.Lines());
    }

    [Fact]
    public void Comments_of_every_style_and_free_layout_are_accepted()
    {
        using var config = new ConfigFixture().Write("main.gen", """
            # hash comment
            // slash comment
            /* block
               comment */ dir "/a" { mode = "0700" } # trailing
            dir
              "/a/b"
            {
              // inside
              mode = "0700"
            }
            """);

        Assert.Equal(["MKDIR /a 0700 root root @main.gen:4:15", "MKDIR /a/b 0700 root root @main.gen:5:1"], config.Lines());
    }

    [Fact]
    public void String_escapes_and_heredocs_give_the_text_they_spell()
    {
        using var config = new ConfigFixture().Write("main.gen", """
            let who = "world"
            file "/etc/esc" { content = "tab\tquote\"back\\slash\\ndollar\${x} \u{e9} ${who}\n" }
            file "/etc/doc" {
              content = <<-EOT
                hello ${who}
                  indented
                literal $${who}
                EOT
            }
            file "/etc/raw" {
              content = <<EOT
              kept as is
            EOT
            }
            """);
        var result = config.Compile();

        Assert.True(result.Succeeded, result.RenderDiagnostics());
        Assert.Equal("tab\tquote\"back\\slash\\ndollar${x} é world\n", config.Content(result, "/etc/esc"));
        Assert.Equal("hello world\n  indented\nliteral ${who}\n", config.Content(result, "/etc/doc"));
        Assert.Equal("  kept as is\n", config.Content(result, "/etc/raw"));
    }

    [Fact]
    public void Let_variables_and_host_facts_are_substituted_in_strings()
    {
        using var config = new ConfigFixture().Write("main.gen", """
            let site = "example.org"
            let port = 8080
            let root = "/srv/${site}"
            dir "${root}" { }
            file "${root}/info" { content = "${host.id} ${site}:${port}" }
            user "app" { uid = port }
            """);
        var result = config.Compile("web-07");

        Assert.True(result.Succeeded, result.RenderDiagnostics());
        Assert.Equal("web-07 example.org:8080", config.Content(result, "/srv/example.org/info"));
        Assert.Equal(8080, result.Journal!.Steps.OfType<UserStep>().Single().Uid);
    }

    [Fact]
    public void A_template_file_gets_variables_and_host_facts_and_keeps_escaped_dollars()
    {
        using var config = new ConfigFixture()
            .Write("files/site.conf", "server_name ${site};  # on ${ host.id }\nset $$x $${literal};\nroot $uri;\n")
            .Write("main.gen", """
                let site = "example.org"
                file "/etc/site.conf" { source = "files/site.conf"  template = true }
                file "/etc/plain.conf" { source = "files/site.conf" }
                """);
        var result = config.Compile("web-01");

        Assert.True(result.Succeeded, result.RenderDiagnostics());
        Assert.Equal("server_name example.org;  # on web-01\nset $$x ${literal};\nroot $uri;\n", config.Content(result, "/etc/site.conf"));
        Assert.Equal("server_name ${site};  # on ${ host.id }\nset $$x $${literal};\nroot $uri;\n", config.Content(result, "/etc/plain.conf"));
    }

    [Fact]
    public void Hosts_blocks_select_by_glob_on_the_host_id()
    {
        using var config = new ConfigFixture().Write("main.gen", """
            dir "/all" { }
            hosts ["web-*"] { dir "/web" { } }
            hosts ["db-0?", "backup"] {
              dir "/db" { }
              hosts ["*-01"] { dir "/db-first" { } }
            }
            """);

        Assert.Equal(["MKDIR /all 0755 root root @main.gen:1:1", "MKDIR /web 0755 root root @main.gen:2:19"], config.Lines("web-12"));
        Assert.Equal(["MKDIR /all 0755 root root @main.gen:1:1", "MKDIR /db 0755 root root @main.gen:4:3", "MKDIR /db-first 0755 root root @main.gen:5:20"], config.Lines("db-01"));
        Assert.Equal(["MKDIR /all 0755 root root @main.gen:1:1", "MKDIR /db 0755 root root @main.gen:4:3"], config.Lines("backup"));
        Assert.Equal(["MKDIR /all 0755 root root @main.gen:1:1"], config.Lines("db-100"));
    }

    [Theory]
    [InlineData("web-*", "web-01", true)]
    [InlineData("web-*", "web-", true)]
    [InlineData("web-*", "db-01", false)]
    [InlineData("*", "anything", true)]
    [InlineData("w?b-0?", "web-01", true)]
    [InlineData("w?b-0?", "web-011", false)]
    [InlineData("*-01", "db-01", true)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("Web-*", "web-01", false)]
    public void Host_globs_match_like_shell_patterns(string pattern, string host, bool matches) =>
        Assert.Equal(matches, HostGlob.IsMatch(pattern, host));

    [Fact]
    public void Includes_are_read_relative_to_the_repo_root_and_tag_their_own_file()
    {
        using var config = new ConfigFixture()
            .Write("roles/web.gen", "dir \"/web\" { }\ninclude \"roles/common.gen\"\n")
            .Write("roles/common.gen", "\n\ndir \"/common\" { }\n")
            .Write("main.gen", "include \"roles/web.gen\"\nhosts [\"db-*\"] { include \"roles/missing.gen\" }\n");

        Assert.Equal(["MKDIR /web 0755 root root @roles/web.gen:1:1", "MKDIR /common 0755 root root @roles/common.gen:3:1"], config.Lines());
    }

    [Fact]
    public void Parents_come_before_children_whatever_the_declaration_order()
    {
        using var config = new ConfigFixture().Write("main.gen", """
            file "/etc/app/conf.d/x.conf" { content = "x" }
            dir "/etc/app/conf.d" { }
            dir "/etc/app" { }
            dir "/etc/zzz" { }
            """);

        Assert.Equal(
            [
                "MKDIR /etc/app 0755 root root @main.gen:3:1",
                "MKDIR /etc/app/conf.d 0755 root root @main.gen:2:1",
                "COPY /etc/app/conf.d/x.conf b3:… 0644 root root @main.gen:1:1",
                "MKDIR /etc/zzz 0755 root root @main.gen:4:1",
            ],
            config.Lines());
    }

    [Fact]
    public void Accounts_come_before_the_steps_that_use_them()
    {
        using var config = new ConfigFixture().Write("main.gen", """
            dir "/home/app" { owner = "app"  group = "app" }
            user "app" { group = "app"  groups = ["extra"] }
            group "extra" { }
            group "app" { }
            """);

        Assert.Equal(
            ["GROUP extra @main.gen:3:1", "GROUP app @main.gen:4:1", "USER app group=app groups=extra @main.gen:2:1", "MKDIR /home/app 0755 app app @main.gen:1:1"],
            config.Lines());
    }

    [Fact]
    public void After_puts_a_step_behind_the_ones_it_names()
    {
        using var config = new ConfigFixture().Write("main.gen", """
            on_change "restart" { paths = ["/etc/a"]  run = ["true"]  after = ["/etc/a", "user:u", "group:g"] }
            file "/etc/a" { content = "a"  after = ["on_change:first"] }
            on_change "first" { paths = ["/x"]  run = ["true"] }
            user "u" { }
            group "g" { }
            """);

        Assert.Equal(
            [
                "RUN first on=/x argv=[\"true\"] @main.gen:3:1",
                "COPY /etc/a b3:… 0644 root root @main.gen:2:1",
                "USER u @main.gen:4:1",
                "GROUP g @main.gen:5:1",
                "RUN restart on=/etc/a argv=[\"true\"] @main.gen:1:1",
            ],
            config.Lines());
    }

    [Fact]
    public void Parents_outside_gen_become_external_declarations()
    {
        using var config = new ConfigFixture().Write("main.gen", """
            file "/etc/sysctl.d/90-x.conf" { content = "x" }
            dir "/etc/nginx" { }
            file "/etc/nginx/nginx.conf" { content = "y" }
            dir "/srv" { }
            """);
        var result = config.Compile();

        Assert.True(result.Succeeded, result.RenderDiagnostics());
        Assert.Equal(["/etc", "/etc/sysctl.d"], result.Journal!.Externals.Select(e => e.Path));
        Assert.StartsWith("gen-journal 1\nEXTERNAL /etc @main.gen:2:1\nEXTERNAL /etc/sysctl.d @main.gen:1:1\n", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_compiled_journal_parses_back_to_the_same_text_and_passes_the_static_checks()
    {
        using var config = new ConfigFixture()
            .Write("www/a.txt", "a")
            .Write("main.gen", """
                group "g" { }
                user "u" { group = "g" }
                dir "/srv" { owner = "u"  group = "g" }
                tree "/srv/www" { source = "www" }
                link "/srv/current" { target = "www" }
                on_change "t" { paths = ["/srv/**"]  run = ["true"] }
                """);
        var result = config.Compile();

        Assert.True(result.Succeeded, result.RenderDiagnostics());
        var parsed = JournalParser.Parse(result.Text!, "compiled");
        Assert.True(parsed.Succeeded, string.Join("\n", parsed.Problems));
        Assert.Equal(result.Text, JournalPrinter.Print(parsed.Journal));
        var problems = JournalChecker.Check(result.Journal!, new CheckOptions { PayloadExists = config.Store.Contains });
        Assert.Empty(problems);
    }

    [Fact]
    public void The_same_tree_and_host_give_the_same_journal_bytes_and_id()
    {
        using var config = new ConfigFixture()
            .Write("www/z.txt", "z").Write("www/a.txt", "a").Write("www/M/x", "x")
            .Write("main.gen", "tree \"/srv/www\" { source = \"www\" }\nfile \"/etc/f\" { content = \"${host.id}\" }\n");

        var first = config.Compile();
        var second = config.Compile();

        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.JournalId, second.JournalId);
        Assert.NotEqual(first.Text, config.Compile("other").Text);
    }
}
