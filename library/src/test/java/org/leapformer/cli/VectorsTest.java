package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.TestSupport;

/** The library against the reference vectors, and the check-vectors command. */
class VectorsTest {

    static Path vectors() {
        Path p = Path.of(System.getProperty("leap.vectors", "../data/vectors/leap_vectors.json"));
        assertTrue(Files.isRegularFile(p), "reference vectors expected at " + p.toAbsolutePath()
                + " (data/vectors/ in the repository; set -Dleap.vectors=FILE)");
        return p;
    }

    @Test
    void everyQuantityOfTheSharedVectorsMatchesInFloat32AndFloat64() {
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            List<VectorCheck.Row> rows = VectorCheck.run(vectors(), t, VectorCheck.defaultTolerance(t));
            assertTrue(rows.size() > 400, "expected every case, form and gradient to be checked, found " + rows.size());
            for (VectorCheck.Row r : rows) {
                assertTrue(r.ok(), t + " " + r.caseName() + " " + r.quantity() + ": max|err| " + r.maxAbsError()
                        + ", relative " + r.relativeError());
            }
            assertTrue(rows.stream().anyMatch(r -> r.quantity().startsWith("final_state.S_cos [chunked")));
            for (String q : new String[] {"grad leap_causal [recurrent] leap_k",
                    "relu_linear_bidirectional [block]", "relu_linear_causal [block chunked C=3]",
                    "grad softmax_causal [block] k", "grad softmax_causal [block] v", "grad softmax_bidirectional [block] k",
                    "grad cosformer_causal [block recurrent] k", "grad cosformer_bidirectional [block] v",
                    "grad relu_linear_causal [block chunked C=1] v", "grad relu_linear_causal [block quadratic] k",
                    "grad relu_linear_bidirectional [block] q"}) {
                assertTrue(rows.stream().anyMatch(r -> r.caseName().equals("lra_noclamp") && r.quantity().startsWith(q)),
                        "no row '" + q + "' for lra_noclamp");
                assertTrue(rows.stream().anyMatch(r -> r.caseName().equals("main_clamp0.1") && r.quantity().startsWith(q)),
                        "no row '" + q + "' for main_clamp0.1");
            }
            if (t == DataType.FLOAT64) {
                double worst = rows.stream().mapToDouble(VectorCheck.Row::maxAbsError).max().orElseThrow();
                assertTrue(worst < 1e-10, "float64 should match the float64 reference to rounding, worst " + worst);
            }
        }
    }

    @Test
    void theCommandPassesOnTheSharedVectorsAndFailsOnATamperedCopy(@TempDir Path dir) throws IOException {
        Cli.Result ok = Cli.run("check-vectors", vectors().toString());
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertTrue(ok.out().contains("leap_causal [recurrent]") && ok.out().contains("(PASS)"), ok.out());

        String json = Files.readString(vectors());
        // shift the first expected causal output by 1e-2: above the relative 1e-3 tolerance
        int at = json.indexOf("\"leap_causal\": [");
        int num = json.indexOf('-', at) >= 0 ? firstNumber(json, at) : -1;
        int end = num;
        while ("0123456789.-e".indexOf(json.charAt(end)) >= 0) {
            end++;
        }
        double value = Double.parseDouble(json.substring(num, end));
        Path tampered = dir.resolve("tampered.json");
        Files.writeString(tampered, json.substring(0, num) + (value + 1e-2) + json.substring(end));
        Cli.Result bad = Cli.run("check-vectors", tampered.toString());
        assertEquals(1, bad.code(), bad.out() + bad.err());
        assertTrue(bad.out().contains("FAIL"), bad.out());

        Cli.Result missing = Cli.run("check-vectors", dir.resolve("none.json").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("expected a readable file"), missing.err());

        Files.writeString(dir.resolve("other.json"), "{\"format\": \"something-else\"}");
        Cli.Result format = Cli.run("check-vectors", dir.resolve("other.json").toString());
        assertEquals(2, format.code());
        assertTrue(format.err().contains("expected format leapformer-test-vectors/1, found something-else"), format.err());

        Cli.Result usage = Cli.run("check-vectors");
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("expected a vectors FILE"), usage.err());
        assertEquals(2, Cli.run("frobnicate").code());
    }

    @Test
    void theTeamsSharedVectorsWhenPresentAreTheOnesTheProjectShips() throws IOException {
        Path shared = Path.of(System.getProperty("leap.sharedVectors", "../../shared/vectors/leap_vectors.json"));
        TestSupport.skipUnless(Files.isRegularFile(shared), "no shared reference vectors at " + shared.toAbsolutePath()
                + " (only beside a team checkout); the shipped copy in data/vectors is checked by the other tests");
        assertEquals(Files.readString(shared), Files.readString(vectors()),
                "data/vectors/leap_vectors.json differs from " + shared + ": copy the new vectors into the repository");
    }

    @Test
    void vectorsOfOtherShapesAndSeedsFromThePeerGeneratorAlsoMatch(@TempDir Path dir) throws Exception {
        Path peer = Path.of(System.getProperty("leap.peer", "../../shared/peer"));
        Path python = Path.of("/usr/bin/python3");
        TestSupport.skipUnless(Files.isRegularFile(peer.resolve("make_vectors.py")), "no peer generator at " + peer);
        boolean torch = Files.isExecutable(python) && exitCode(List.of(python.toString(), "-c", "import torch")) == 0;
        TestSupport.skipUnless(torch,
                "Debian's python3-torch is not installed (apt-get install python3-torch): cannot generate other vectors");
        String[][] specs = {{"1,3,33,8,5", "7"}, {"2,4,5,6,2", "3"}};
        for (String[] spec : specs) {
            String name = "v_" + spec[1] + ".json";
            ProcessBuilder pb = new ProcessBuilder(python.toString(), peer.resolve("make_vectors.py").toString(),
                    dir.toString()).redirectErrorStream(true);
            pb.environment().put("VEC_SHAPE", spec[0]);
            pb.environment().put("VEC_SEED", spec[1]);
            pb.environment().put("VEC_NAME", name);
            Process p = pb.start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0, "make_vectors failed: " + log);
            Cli.Result r = Cli.run("check-vectors", dir.resolve(name).toString());
            assertEquals(0, r.code(), "shape " + spec[0] + ": " + r.out());
            assertTrue(r.out().contains("grad softmax_causal [block] k") && r.out().contains(
                    "grad relu_linear_causal [block chunked C=3] v"), "baseline gradients checked: " + r.out());
            Cli.Result r64 = Cli.run("check-vectors", dir.resolve(name).toString(), "--float64");
            assertEquals(0, r64.code(), "shape " + spec[0] + " in float64: " + r64.out());
        }
    }

    private static int firstNumber(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '-' || Character.isDigit(c)) {
                return i;
            }
        }
        throw new IllegalStateException("no number after " + from);
    }

    private static int exitCode(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(2, TimeUnit.MINUTES) ? p.exitValue() : -1;
    }

}
