package org.leapformer.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The claims page and its embedded blocks, from a study of a task whose outcomes are known. */
class ClaimsTest {

    /**
     * A language-model-like task: test loss 2.0 (LeaP), 2.0 + 0.001 seed (cosFormer), 2.1 (ReLU),
     * 1.9 (softmax), plus 0.01·(seed mod 2) each; at 4× the same, except cosFormer with the length
     * unknown at 4.0.
     */
    static final class LossTask implements StudyTask {
        @Override
        public String name() {
            return "lm";
        }

        @Override
        public String metric() {
            return "loss";
        }

        @Override
        public boolean higherIsBetter() {
            return false;
        }

        @Override
        public List<Metric> secondaryMetrics() {
            return List.of(new Metric("loss_4x", false, "at 4x, N unknown"),
                    new Metric("loss_4x_known", false, "at 4x, N known"));
        }

        @Override
        public String describe(Scale scale) {
            return "a known function of the run";
        }

        static double loss(String method, long seed) {
            double base = switch (method) {
                case "leap" -> 2.0;
                case "cosformer" -> 2.0 + 0.001 * seed;
                case "relu" -> 2.1;
                default -> 1.9;
            };
            return base + 0.01 * (seed % 2);
        }

        @Override
        public Outcome run(Run run, Path work) {
            double l = loss(run.method(), run.seed());
            Map<String, Double> test = new HashMap<>(Map.of("loss", l, "loss_4x_known", l));
            test.put("loss_4x", run.method().equals("cosformer") ? 4.0 + 0.01 * run.seed() : l);
            return new Outcome(Map.of("loss", l + Math.abs(Math.log10(run.learningRate() / 1e-3))), test, 100, 10, 0.1);
        }

        @Override
        public Throughput throughput(String method, Scale scale, long dataSeed, int warmup, int timed, Path work) {
            return new Throughput(method.equals("softmax") ? 0.02 : 0.01, 0.009, 1000, warmup, timed);
        }

        @Override
        public List<Integer> longThroughputLengths(Scale scale) {
            return List.of(512);
        }

        @Override
        public Throughput throughputAt(String method, Scale scale, long dataSeed, int length, int warmup, int timed,
                Path work) {
            return new Throughput(method.equals("softmax") ? 1.0 : 0.05, 0.04, 2 * length, warmup, timed);
        }
    }

    static JsonObject study;

    @BeforeAll
    static void record(@TempDir Path dir) {
        study = Study.builder().addTask(new LossTask()).setMethods(List.of("leap", "cosformer", "relu", "softmax"))
                .setLearningRates(List.of(1e-3, 3e-3)).optSeeds(List.of(1L, 2L, 3L, 4L, 5L)).optScale(Scale.QUICK)
                .setDirectory(dir).optEngine("fake engine").build().run();
    }

    private static Claims claims() {
        return Claims.of(List.of(new Claims.Source("docs/studies/fake/study.json", study)));
    }

    @Test
    void theVerdictsFollowThePairedIntervals() {
        String page = claims().markdown();
        // cosFormer with the length unknown is 2 nats worse at 4x: LeaP better, the claim holds
        String unknown = section(page, "## LeaP against cosFormer, the length unknown");
        assertTrue(unknown.contains("| lm | loss at 4× (N = T kept) (↓) | 2.0060 ± 0.0055 | 4.0300 ± 0.0158 |"),
                unknown);
        assertTrue(unknown.contains("**Verdict.** LeaP is better on lm loss at 4× (N = T kept). The claim holds here."),
                unknown);
        // ReLU is 0.1 worse everywhere: holds; its rows use the length-known losses
        String relu = section(page, "## LeaP against ReLU-linear attention");
        assertTrue(relu.contains("The claim holds here."), relu);
        assertTrue(relu.contains("| lm | loss at 4× (↓) |"), relu);
        assertFalse(relu.contains("N = T kept"), relu);
        // softmax is 0.1 better: LeaP falls short
        String softmax = section(page, "## LeaP against softmax attention");
        assertTrue(softmax.contains("Softmax is better on lm loss; lm loss at 4×. LeaP falls short of softmax"),
                softmax);
        // the length-known comparison with cosFormer: LeaP − cosFormer = −0.001 seed, mean −0.003, t interval
        // −0.003 ± 2.776 · 0.00158 / √5
        String known = section(page, "## LeaP against cosFormer, the length known");
        assertTrue(known.contains("| -0.0030 [-0.0050, -0.0010] | leap | yes | 0.001 / 0.001 |"), known);
        // the discrimination table: lm loss separates relu (worst) from softmax (best) by many SDs
        assertTrue(page.contains("| lm | loss | softmax | relu |"), page);
        // throughput: timed, and figures for it
        // at 512 tokens: 1024 tokens a step, 0.05 s (20,480 tokens/s), softmax 1 s (1,024)
        assertTrue(page.contains("| method | test loss | tokens/s | steps/s | tokens/s at 512 tokens | parameters |"),
                page);
        assertTrue(page.contains("| leap | 2.0060 ± 0.0055 | 100,000 | 100.00 | 20,480 | 100 |"), page);
        assertTrue(page.contains("| softmax | 1.9060 ± 0.0055 | 50,000 | 50.00 | 1,024 | 100 |"), page);
        assertTrue(claims().figures().containsKey("claims-throughput-lm.svg"));
        assertTrue(claims().figures().get("claims-throughput-lm.svg").contains("at 512-token inputs"));
        assertTrue(claims().figures().get("claims-throughput-lm.svg").startsWith("<svg "));
        assertEquals(page, claims().markdown(), "a pure function of the records");
    }

    @Test
    void blocksAreRegeneratedFromTheRecordsAndOnlyThere() {
        Claims c = claims();
        String text = "intro 1.23\n<!-- claims:task:lm -->\n| stale | 9.99 |\n<!-- /claims -->\nafter 4.56\n";
        String updated = c.updateBlocks(text);
        // blank lines around the body, so that Jupyter's markdown does not run the comment on into the table
        assertTrue(updated.startsWith("intro 1.23\n<!-- claims:task:lm -->\n\nA known function of the run.\n\n"
                + "| method | learning rate | test loss"), updated);
        assertTrue(updated.endsWith(").\n\n<!-- /claims -->\nafter 4.56\n"), updated);
        assertFalse(updated.contains("9.99"));
        assertTrue(updated.contains("| softmax | 0.001 (grid edge) | 1.9060 ± 0.0055 | 100 |"), updated);
        // the rate each method chose is an end of the grid {1e-3, 3e-3}: the best tried, not shown to be the best
        assertTrue(updated.contains("A rate at the grid edge was the best one tried, not necessarily the best one: "
                + "the grid was 0.001, 0.003."), updated);
        assertEquals(updated, c.updateBlocks(updated), "idempotent");
        var e = assertThrows(IllegalArgumentException.class,
                () -> c.updateBlocks("<!-- claims:task:nope -->\nx\n<!-- /claims -->"));
        assertTrue(e.getMessage().contains("expected a task of [lm], found none named so"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.fragment("verdicts"));
        assertTrue(e.getMessage().contains("found 'verdicts'"), e.getMessage());
    }

    @Test
    void aNotebookKeepsJupytersLayoutWhenItsBlockIsRegenerated() throws Exception {
        String nb = "{\n \"cells\": [\n  {\n   \"cell_type\": \"markdown\",\n   \"metadata\": {},\n   \"source\": [\n"
                + "    \"# Title\\n\",\n    \"<!-- claims:task:lm -->\\n\",\n    \"old\\n\",\n    \"<!-- /claims -->\\n\",\n"
                + "    \"end\"\n   ]\n  },\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 3,\n"
                + "   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\n    \"val x = 1 < 2 && \\\"é\\\" != null\"\n"
                + "   ]\n  }\n ],\n \"metadata\": {},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n";
        Claims c = claims();
        assertEquals(c.updateBlocks("no blocks"), "no blocks");
        String updated = c.updateNotebook(nb);
        // the same layout: one space of indent, the code cell byte for byte, a newline at the end
        assertTrue(updated.contains("\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 3,\n"
                + "   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\n    \"val x = 1 < 2 && \\\"é\\\" != null\"\n"
                + "   ]\n  }\n ],\n"), updated);
        assertTrue(updated.endsWith("\"nbformat_minor\": 5\n}\n"), updated);
        JsonObject md = JsonParser.parseString(updated).getAsJsonObject().getAsJsonArray("cells").get(0)
                .getAsJsonObject();
        assertEquals("# Title\n", md.getAsJsonArray("source").get(0).getAsString());
        assertEquals("end", md.getAsJsonArray("source").get(md.getAsJsonArray("source").size() - 1).getAsString());
        assertTrue(md.toString().contains("| softmax | 0.001 (grid edge) | 1.9060 ± 0.0055 | 100 |"), md.toString());
        assertEquals(updated, c.updateNotebook(updated), "idempotent");
    }

    @Test
    void aRecordOfAnotherFormatIsRefusedWithItsPath(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("study.json");
        Files.writeString(f, "{\"format\": \"something-else\"}", StandardCharsets.UTF_8);
        var e = assertThrows(IllegalArgumentException.class, () -> Claims.read(List.of(f), List.of("x")));
        assertTrue(e.getMessage().contains("expected a study record of format " + Study.FORMAT), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    private static String section(String page, String heading) {
        int i = page.indexOf(heading);
        assertTrue(i >= 0, "no section " + heading + " in\n" + page);
        int j = page.indexOf("\n## ", i + heading.length());
        return page.substring(i, j < 0 ? page.length() : j);
    }
}
