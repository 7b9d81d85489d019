package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train, eval, generate and experiment at toy sizes, as a user runs them. */
class CommandLineTest {

    private static final String[] TINY = {"--layers", "1", "--d-model", "16", "--heads", "2", "--head-dim", "8",
        "--ffn", "32", "--batch", "8", "--eval-every", "10", "--quiet"};

    private static String[] with(String[] base, String... more) {
        List<String> all = new ArrayList<>(Arrays.asList(base));
        all.addAll(Arrays.asList(more));
        return all.toArray(new String[0]);
    }

    @Test
    void trainWritesMetricsAndCheckpointsEvalReadsThemAndResumeContinues(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        String[] listops = with(new String[] {"train", "--task", "listops", "--length", "24", "--train-examples", "160",
            "--val-examples", "32", "--out", out.toString()}, TINY);
        Cli.Result r = Cli.run(with(listops, "--steps", "20"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("COMPLETED after 20 steps"), r.out());
        for (String f : List.of("run.json", "steps.csv", "evaluations.csv", "summary.json", "checkpoints/best.ckpt",
                "checkpoints/latest.ckpt")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " missing");
        }
        assertEquals(21, Files.readAllLines(out.resolve("steps.csv")).size(), "header + 20 steps");
        assertEquals(3, Files.readAllLines(out.resolve("evaluations.csv")).size(), "header + evaluations at 10, 20");
        try (Stream<Path> files = Files.walk(out)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }

        Cli.Result e = Cli.run("eval", "--checkpoint", out.resolve("checkpoints/latest.ckpt").toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("\"accuracy\"") && e.out().contains("\"loss\""), e.out());

        Cli.Result resumed = Cli.run(with(listops, "--steps", "30", "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resuming") && resumed.out().contains("at step 20"), resumed.out());
        assertTrue(resumed.out().contains("COMPLETED after 30 steps"), resumed.out());
    }

    @Test
    void aLanguageModelTrainsOnATextFileAndGeneratesFromAPrompt(@TempDir Path dir) throws IOException {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "the cat sat on the mat. ".repeat(200));
        Path out = dir.resolve("lm");
        Cli.Result r = Cli.run(with(new String[] {"train", "--task", "lm", "--data", text.toString(), "--length", "32",
            "--steps", "20", "--out", out.toString()}, TINY));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(out.resolve("vocabulary.txt")));
        Cli.Result g = Cli.run("generate", "--checkpoint", out.resolve("checkpoints/best.ckpt").toString(), "--prompt", "the ",
                "--tokens", "12", "--seed", "3");
        assertEquals(0, g.code(), g.err());
        String generated = g.out().strip();
        // 12 sampled tokens after the prompt (an untrained model may sample <pad>/<unk>, decoded as nothing or U+FFFD)
        assertTrue(generated.startsWith("the ") && generated.length() > 4 && generated.length() <= 4 + 12,
                "'" + generated + "'");
        // sinusoidal positions (the language model's default): generation runs past the 32-token window
        Cli.Result past = Cli.run("generate", "--checkpoint", out.resolve("checkpoints/best.ckpt").toString(), "--prompt",
                "the cat sat on the mat. the cat sat on", "--tokens", "40", "--greedy");
        assertEquals(0, past.code(), past.err());
        assertTrue(past.out().startsWith("the cat sat on the mat. the cat sat on"), past.out());

        Path learned = dir.resolve("learned");
        assertEquals(0, Cli.run(with(new String[] {"train", "--task", "lm", "--data", text.toString(), "--length", "32",
            "--steps", "2", "--positions", "learned", "--out", learned.toString()}, TINY)).code());
        Cli.Result tooLong = Cli.run("generate", "--checkpoint", learned.resolve("checkpoints/best.ckpt").toString(),
                "--prompt", "the cat sat on the mat. the cat sat on", "--tokens", "3");
        assertEquals(2, tooLong.code());
        assertTrue(tooLong.err().contains("expected fewer than 32 tokens"), tooLong.err());
        Cli.Result tooMany = Cli.run("generate", "--checkpoint", learned.resolve("checkpoints/best.ckpt").toString(),
                "--prompt", "the cat", "--tokens", "30");
        assertTrue(tooMany.err().contains("generate --tokens: expected at most 25 after a prompt of 7 tokens"),
                tooMany.err());
    }

    @Test
    void anExperimentWritesATableAndAPlotForEveryAttention(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("exp");
        Cli.Result r = Cli.run(with(new String[] {"experiment", "--tasks", "listops", "--attentions", "leap,cosformer,softmax",
            "--length", "24", "--train-examples", "96", "--val-examples", "16", "--steps", "10", "--out",
            out.toString()}, TINY));
        assertEquals(0, r.code(), r.err());
        String table = Files.readString(out.resolve("results.md"));
        for (String kind : List.of("leap", "cosformer", "softmax")) {
            assertTrue(table.contains("| " + kind + " |"), table);
        }
        String svg = Files.readString(out.resolve("results.svg"));
        assertTrue(svg.startsWith("<svg") && svg.contains("<polyline") && svg.contains("softmax"), svg);
    }

    @Test
    void badOptionsAreRefusedWithTheExpectedAndTheFoundValue(@TempDir Path dir) {
        Cli.Result unknown = Cli.run("train", "--out", dir.toString(), "--stepz", "3");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown option '--stepz'") && unknown.err().contains("--steps"), unknown.err());
        Cli.Result number = Cli.run("train", "--out", dir.toString(), "--steps", "many");
        assertTrue(number.err().contains("--steps: expected a positive integer, found 'many'"), number.err());
        Cli.Result choice = Cli.run("train", "--out", dir.toString(), "--attention", "flash");
        assertTrue(choice.err().contains("--attention: expected one of leap, cosformer, softmax, relu, found 'flash'"),
                choice.err());
        Cli.Result noOut = Cli.run("train", "--steps", "3");
        assertTrue(noOut.err().contains("expected --out DIR"), noOut.err());
        Cli.Result missing = Cli.run("eval", "--checkpoint", dir.resolve("none/checkpoints/best.ckpt").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("eval --checkpoint: expected a checkpoint file, found no file at"), missing.err());
    }
}
