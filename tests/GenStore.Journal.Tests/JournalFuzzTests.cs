using System.Text;

namespace GenStore.Journal.Tests;

public sealed class JournalFuzzTests
{
    private static readonly byte[][] Tokens =
    [
        "\""u8.ToArray(), "\\"u8.ToArray(), "\\x"u8.ToArray(), "@"u8.ToArray(), ":"u8.ToArray(), "="u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(),
        ","u8.ToArray(), " "u8.ToArray(), "\t"u8.ToArray(), "\n"u8.ToArray(), "\r"u8.ToArray(), "0"u8.ToArray(), "99999999999"u8.ToArray(),
        "b3:"u8.ToArray(), "INCLUDE x"u8.ToArray(), "EXTERNAL "u8.ToArray(), "gid="u8.ToArray(), "on="u8.ToArray(), "argv=["u8.ToArray(),
        [0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98, 0x80], [0], [0x7f], "é"u8.ToArray(),
    ];

    [Fact]
    public void Any_mutated_journal_gives_a_journal_or_positioned_problems_and_never_throws()
    {
        var seeds = new[] { TestData.Read("nginx.journal"), TestData.Read("quoting.journal"), TestData.Read("include-main.journal") }
            .Select(Encoding.UTF8.GetBytes).ToArray();
        var random = new Random(20261121);
        var withProblems = 0;
        for (var i = 0; i < 12_000; i++)
        {
            var input = Mutate(seeds[i % seeds.Length], random, random.Next(1, 6));
            var result = JournalParser.Parse(input, "fuzz.journal");

            var lines = input.Count(b => b == (byte)'\n') + 1;
            foreach (var problem in result.Problems)
            {
                Assert.InRange(problem.Line, 1, lines);
                Assert.True(problem.Column >= 1, $"problem without column: {problem}");
                Assert.False(string.IsNullOrWhiteSpace(problem.Message));
            }

            if (result.Succeeded)
            {
                // Whatever parsed must print canonically and read back to the same journal.
                var text = JournalPrinter.Print(result.Journal);
                var again = JournalParser.Parse(text, "again.journal");
                Assert.True(again.Succeeded, again.Succeeded ? null : $"canonical text did not parse: {again.Problems[0]}\n{text}");
                Assert.Equal(result.Journal.Steps, again.Journal.Steps);
                Assert.Equal(text, JournalPrinter.Print(again.Journal));
                _ = JournalChecker.Check(result.Journal);
            }
            else
            {
                withProblems++;
            }
        }

        Assert.InRange(withProblems, 1000, 11_999);
    }

    [Fact]
    public void Random_bytes_give_positioned_problems()
    {
        var random = new Random(7);
        for (var i = 0; i < 2_000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);

            var result = JournalParser.Parse(bytes, "noise");

            Assert.NotEmpty(result.Problems);
            Assert.All(result.Problems, p => Assert.True(p.Line >= 1 && p.Column >= 1));
        }
    }

    private static byte[] Mutate(byte[] seed, Random random, int edits)
    {
        var bytes = seed.ToList();
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes.RemoveAt(Math.Min(at, bytes.Count - 1));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[Math.Min(at, bytes.Count - 1)] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.InsertRange(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 3 when bytes.Count > 0:
                    var from = random.Next(bytes.Count);
                    var length = Math.Min(random.Next(1, 40), bytes.Count - from);
                    bytes.InsertRange(at, bytes.GetRange(from, length));
                    break;
                default:
                    bytes.Insert(at, (byte)random.Next(0x20, 0x7f));
                    break;
            }
        }

        return [.. bytes];
    }
}
