package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench command at toy sizes: it measures, writes its files, and refuses bad options. */
class BenchTest {

    @Test
    void formsRunEachConfigurationInItsOwnJvmAndWriteLinesATableAndAPlot(@TempDir Path dir) throws Exception {
        Cli.Result r = Cli.run("bench", "forms", "--ns", "64,128", "--methods", "leap_causal_chunk64,softmax_causal", "--modes",
                "fwd", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(dir.resolve("forms.jsonl"));
        assertEquals(7, lines.size(), "2 methods × 2 lengths × 1 mode, the chunked form's products alone at each "
                + "length, and the matmul reference");
        for (String l : lines) {
            JsonObject o = JsonParser.parseString(l).getAsJsonObject();
            assertTrue(!o.has("error"), l);
            if (o.get("method").getAsString().equals("matmul")) {
                assertTrue(o.get("gflops").getAsDouble() > 0, l);
                continue;
            }
            assertTrue(o.get("median_ms").getAsDouble() > 0 && o.get("min_ms").getAsDouble() <= o.get("median_ms")
                    .getAsDouble(), l);
            assertTrue(o.has("peak_delta_mb"), l);
        }
        String table = Files.readString(dir.resolve("forms.md"));
        assertTrue(table.contains("| leap_causal_chunk64 |") && table.contains("×"), table);
        assertTrue(table.contains("Close to the machine: a 1024×1024 fp32 matrix product ran at")
                && table.contains("| N=128 |"), table);
        String rate = table.lines().filter(l -> l.startsWith("| N=128 |")).findFirst().orElseThrow();
        assertEquals(9, rate.split("\\|", -1).length - 1, "N, GFLOP, the form's ms, rate, share, and the products' "
                + "ms, rate, share: " + rate);
        assertTrue(!rate.contains(" - |"), "the products alone were measured: " + rate);
        assertTrue(Files.readString(dir.resolve("forms.svg")).contains("<polyline"));
    }

    @Test
    void thePartsOfTheChunkedFormRunWithGradientsAtAnOddLength(@TempDir Path dir) throws Exception {
        Cli.Result r = Cli.run("bench", "forms", "--ns", "100", "--methods", "leap_features,chunk64_products", "--modes",
                "fwdbwd", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(dir.resolve("forms.jsonl"));
        assertEquals(3, lines.size(), "2 parts, and the matmul reference: " + lines);
        for (String l : lines) {
            JsonObject o = JsonParser.parseString(l).getAsJsonObject();
            assertTrue(!o.has("error") && o.get("min_ms").getAsDouble() > 0, l);
        }
        String table = Files.readString(dir.resolve("forms.md"));
        assertTrue(table.contains("| leap_features |") && table.contains("| chunk64_products |"), table);
        assertSaysWhereItRan(table);
    }

    @Test
    void decodeMeasuresLayersAndModelsWithRatios(@TempDir Path dir) throws Exception {
        Cli.Result r = Cli.run("bench", "decode", "--contexts", "32", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        String table = Files.readString(dir.resolve("decode.md"));
        for (String row : List.of("| leap_recurrent |", "| leap_fused |", "| softmax_kv_cache |", "| leap_jvm |",
                "| leap_session |", "| softmax_session |", "| leap_session / leap_jvm |")) {
            assertTrue(table.contains(row), row + " in\n" + table);
        }
        assertEquals(7, Files.readAllLines(dir.resolve("decode.jsonl")).size());
        assertSaysWhereItRan(table);
    }

    /** Every table names the CPU model and the allocator it was measured with. */
    static void assertSaysWhereItRan(String table) {
        String where = Bench.where();
        assertTrue(where.startsWith("CPU ") && where.contains(" hardware threads), allocator "), where);
        assertTrue(table.contains(where), "'" + where + "' in\n" + table);
    }

    @Test
    void trainTimesStepsOfTheTrainCommandsModels(@TempDir Path dir) throws Exception {
        Cli.Result r = Cli.run("bench", "train", "--tasks", "listops", "--attention", "relu,leap", "--steps", "12",
                "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        List<String> rows = Files.readAllLines(dir.resolve("train.jsonl"));
        assertEquals(2, rows.size());
        for (String row : rows) {
            com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(row).getAsJsonObject();
            assertEquals(7, o.get("timed_steps").getAsInt(), row); // 12 steps, 5 of them warm-up
            assertTrue(o.get("min_ms").getAsDouble() > 0 && o.get("min_ms").getAsDouble() <= o.get("median_ms")
                    .getAsDouble(), row);
            assertTrue(o.get("tokens_per_s").getAsDouble() > 0 && o.get("parameters").getAsLong() > 0, row);
        }
        String table = Files.readString(dir.resolve("train.md"));
        assertTrue(table.contains("| listops | relu |") && table.contains("| listops | leap |"), table);
        assertSaysWhereItRan(table);
    }

    @Test
    void theChunkedFormsFlopCountIsTheSumOfItsFourProducts() {
        // B=1, H=2, N=8192, F=64, Dv+1=33, C=64: 2·B·H·N·(2·F·(Dv+1) + C·(F + Dv + 1))
        assertEquals(2.0 * 1 * 2 * 8192 * (2 * 64 * 33 + 64 * (64 + 33)), Bench.chunkedFlops(8192, 64), 0);
        assertEquals(Bench.chunkedFlops(128, 64), Bench.chunkedFlops(100, 64), 0, "padded to whole chunks");
    }

    @Test
    void badOptionsAreRefused() {
        Cli.Result r = Cli.run("bench", "sideways");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bench: expected forms, decode or train, found 'sideways'"), r.err());
        r = Cli.run("bench", "forms", "--ns", "64,x");
        assertTrue(r.err().contains("bench --ns: expected positive integers separated by commas, found 'x'"), r.err());
        r = Cli.run("bench", "forms", "--methods", "flash");
        assertTrue(r.err().contains("bench --methods: expected some of [softmax, softmax_causal"), r.err());
        r = Cli.run("bench", "train", "--steps", "7");
        assertTrue(r.err().contains("bench train --steps: expected at least 10 (5 warm-up steps and 5 timed ones), "
                + "found 7"), r.err());
        r = Cli.run("bench", "train", "--threads", "2");
        assertTrue(r.err().contains("bench train: expected no --threads"), r.err());
        r = Cli.run("bench", "train", "--tasks", "mnist");
        assertTrue(r.err().contains("bench --tasks: expected some of [lm, listops], found 'mnist'"), r.err());
        assertEquals(0, Cli.run("bench", "help").code());
    }
}
