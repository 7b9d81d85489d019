package org.leapformer.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.leapformer.LeapEngine;
import org.leapformer.data.AtomicFiles;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.JvmDecoder;
import org.leapformer.model.ModelConfig;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.FusedRecurrent;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;
import org.leapformer.ops.AttentionOutput;
import org.leapformer.ops.FeatureMap;
import org.leapformer.ops.Form;
import org.leapformer.ops.KvCache;
import org.leapformer.ops.LinearState;
import org.leapformer.train.Task;
import org.leapformer.train.Trainer;
import org.leapformer.train.TrainingConfig;
import org.leapformer.train.TrainingListener;

/**
 * The {@code bench} command: speed and memory of the attention forms and of decoding, as ratios
 * against baselines measured in the same run.
 *
 * <pre>
 *   bench forms  [--ns 256,1024,4096,16384] [--methods ...] [--threads 1] [--out DIR]
 *   bench decode [--contexts 256,1024,4096,16384,65536] [--threads 1] [--out DIR]
 *   bench train  [--tasks lm,listops] [--attention leap,relu,softmax] [--steps 60] [--out DIR]
 * </pre>
 *
 * Forms: B=1, H=2, D=32, float32, LeaP hidden 8, clamp 0.1, as the PyTorch peer's bench.py; every
 * (method, N, mode) runs in its own JVM with a fixed, pre-touched heap, so that the peak resident
 * memory growth over the post-setup baseline (VmHWM reset through /proc/self/clear_refs) is the
 * tensors' and not the heap's. Two calls at a small N come first, so that the peak leaves out what
 * any process pays once (about 17 MB of libtorch and MKL buffers). Median and minimum of the timed
 * runs after two warm-ups at full size. The {@link #PARTS} time where the chunked form's time goes.
 *
 * <p>Decode: in this JVM, after two unrecorded rounds at the shortest context.
 */
final class Bench {

    static final List<String> METHODS = List.of("softmax", "softmax_causal", "leap_bidir", "leap_causal_quad",
            "leap_causal_chunk64", "cosformer_causal_chunk64", "relu_causal_chunk64");
    /** Other chunk sizes of the LeaP chunked form, to choose C from measurements (not run by default). */
    static final List<String> CHUNK_VARIANTS = List.of("leap_causal_chunk16", "leap_causal_chunk32",
            "leap_causal_chunk128", "leap_causal_chunk256");
    /**
     * Parts of leap_causal_chunk64, to see where its time goes (not run by default): the LeaP feature
     * maps of q and k alone (ReLU, both LeaP modules, sin/cos re-weighting), and the chunked form's
     * four batched products alone, without its element-wise passes. The products also run on their
     * own with every chunked forward, for the machine-rate table.
     */
    static final List<String> PARTS = List.of("leap_features", "chunk64_products");
    private static final int B = 1;
    private static final int H = 2;
    private static final int D = 32;
    private static final int HIDDEN = 8;
    private static final Gson GSON = new Gson();

    private Bench() {}

    static int run(String[] args, PrintStream out) {
        if (args.length < 2 || !List.of("forms", "decode", "train", "child").contains(args[1])) {
            throw new IllegalArgumentException("bench: expected forms, decode or train, found "
                    + (args.length < 2 ? "nothing" : "'" + args[1] + "'"));
        }
        if (args[1].equals("child")) {
            out.println(child(args[2], Integer.parseInt(args[3]), args[4]));
            return 0;
        }
        Args a = Args.parse("bench " + args[1], args, 2, Set.of("ns", "methods", "threads", "contexts", "out",
                "modes", "tasks", "attention", "steps"), Set.of());
        Path dir = a.path("out", Path.of("runs", "bench"));
        if (args[1].equals("train")) {
            if (a.has("threads")) {
                throw new IllegalArgumentException("bench train: expected no --threads (it trains in this JVM, with "
                        + "the engine's thread count: -Dleap.threads=N under Maven), found --threads "
                        + a.string("threads", ""));
            }
            return train(a, dir, out);
        }
        int threads = a.positiveInt("threads", 1);
        return args[1].equals("forms") ? forms(a, threads, dir, out) : decode(a, threads, dir, out);
    }

    // ---- forms: one JVM per configuration ----

    private static int forms(Args a, int threads, Path dir, PrintStream out) {
        List<Integer> ns = ints(a.string("ns", "256,1024,4096,16384"), "ns");
        List<String> known = new ArrayList<>(METHODS);
        known.addAll(CHUNK_VARIANTS);
        known.addAll(PARTS);
        List<String> methods = list(a.string("methods", String.join(",", METHODS)), "methods", known);
        List<String> modes = list(a.string("modes", "fwd,fwdbwd"), "modes", List.of("fwd", "fwdbwd"));
        List<JsonObject> rows = new ArrayList<>();
        out.println(meta(threads));
        JsonObject matmul = spawn("matmul", 1024, "fwd", threads);
        out.println(matmul);
        for (int n : ns) {
            for (String m : methods) {
                for (String mode : modes) {
                    JsonObject r = spawn(m, n, mode, threads);
                    rows.add(r);
                    out.println(r);
                }
            }
            if (methods.contains("leap_causal_chunk64") && modes.contains("fwd")
                    && !methods.contains("chunk64_products")) {
                JsonObject r = spawn("chunk64_products", n, "fwd", threads); // the ceiling of the machine-rate table
                rows.add(r);
                out.println(r);
            }
        }
        String table = formsTable(rows, ns, methods, modes, threads) + machineRate(rows, matmul);
        rows.add(matmul);
        report(out, dir, "forms", rows, table, formsSvg(rows, ns, methods));
        return 0;
    }

    /**
     * Where a table was measured: the CPU model, its hardware threads and the allocator (from
     * {@code LD_PRELOAD}; the children of {@code bench forms} and {@code decode} inherit it).
     */
    static String where() {
        JsonObject m = org.leapformer.study.Machine.describe();
        return "CPU " + m.get("cpu").getAsString() + " (" + m.get("hardwareThreads").getAsInt()
                + " hardware threads), allocator " + m.get("allocator").getAsString();
    }

    private static String meta(int threads) {
        JsonObject m = new JsonObject();
        m.addProperty("engine", LeapEngine.ensureInitialized());
        m.addProperty("where", where());
        m.addProperty("threads", threads);
        m.addProperty("cores", Runtime.getRuntime().availableProcessors());
        m.addProperty("shape", "B=" + B + " H=" + H + " D=" + D + " float32, LeaP hidden " + HIDDEN + ", clamp 0.1");
        return m.toString();
    }

    private static JsonObject spawn(String method, int n, String mode, int threads) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=" + threads, "-Dai.djl.pytorch.num_interop_threads=" + threads));
        for (String p : List.of("ENGINE_CACHE_DIR", "DJL_CACHE_DIR", "leap.checkFinite")) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.addAll(List.of("-cp", classpath(), Main.class.getName(), "bench", "child", method, String.valueOf(n),
                mode));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("MALLOC_ARENA_MAX", "1"); // one allocator arena: no per-thread arenas in the figure
        pb.redirectErrorStream(true);
        try {
            Process p = pb.start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return error(method, n, mode, "timeout");
            }
            String last = text.lines().filter(l -> l.startsWith("{\"method\"")).reduce((x, y) -> y).orElse(null);
            if (p.exitValue() != 0 || last == null) {
                String[] lines = text.strip().split("\n");
                return error(method, n, mode, lines[lines.length - 1]);
            }
            return JsonParser.parseString(last).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException("bench: cannot start a child JVM", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(method, n, mode, "interrupted");
        }
    }

    private static JsonObject error(String method, int n, String mode, String why) {
        JsonObject r = new JsonObject();
        r.addProperty("method", method);
        r.addProperty("n", n);
        r.addProperty("mode", mode);
        r.addProperty("error", why);
        return r;
    }

    /** The class path of this library, also under {@code mvn exec:java} (whose own class path is Maven's). */
    private static String classpath() {
        if (Bench.class.getClassLoader() instanceof URLClassLoader u) {
            List<String> parts = new ArrayList<>();
            for (var url : u.getURLs()) {
                try {
                    parts.add(Path.of(url.toURI()).toString());
                } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                    // not a file: skip
                }
            }
            if (!parts.isEmpty()) {
                return String.join(java.io.File.pathSeparator, parts);
            }
        }
        return System.getProperty("java.class.path");
    }

    /** The fp32 matrix-product rate of this machine and thread count: an n×n product, timed as a form. */
    private static String matmulChild(int n) {
        try (NDManager m = LeapEngine.newManager()) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            Runnable once = () -> {
                try (NDArray c = a.matMul(b)) {
                    c.toFloatArray(); // waits for the product
                }
            };
            once.run();
            once.run();
            double[] t = new double[9];
            for (int i = 0; i < t.length; i++) {
                long s = System.nanoTime();
                once.run();
                t[i] = (System.nanoTime() - s) / 1e6;
            }
            Arrays.sort(t);
            JsonObject r = new JsonObject();
            r.addProperty("method", "matmul");
            r.addProperty("n", n);
            r.addProperty("mode", "fwd");
            r.addProperty("median_ms", t[t.length / 2]);
            r.addProperty("min_ms", t[0]);
            r.addProperty("gflops", 2.0 * n * n * n / (t[0] * 1e6));
            r.addProperty("peak_delta_mb", 0.0);
            return r.toString();
        }
    }

    /**
     * Multiply-adds ×2 of the chunked causal LeaP forward: per chunk k^T[v|1], q k^T, (q k^T)[v|1]
     * and q·prev; B·H·N·2·(2F(Dv+1) + C(F + Dv + 1)) with F = 2D (the feature maps are O(N·D)).
     */
    static double chunkedFlops(long n, int chunk) {
        long f = 2L * D;
        long dv1 = D + 1;
        long padded = (n + chunk - 1) / chunk * chunk;
        return 2.0 * B * H * padded * (2 * f * dv1 + chunk * (f + dv1));
    }

    /** One configuration, in this (child) JVM: a JSON line. */
    static String child(String method, int n, String mode) {
        LeapEngine.ensureInitialized();
        if (method.equals("matmul")) {
            return matmulChild(n);
        }
        boolean grad = mode.equals("fwdbwd");
        try (NDManager m = LeapEngine.newManager()) {
            Engine.getEngine("PyTorch").setRandomSeed(0);
            // two calls at a small N first pay what a process pays once (libtorch's and MKL's buffers,
            // autograd's worker: about 17 MB), so that the peak below is this configuration's own;
            // the little they free again is far below the figures
            Runnable small = call(method, Math.min(n, warmUpLength(method)), m, grad);
            small.run();
            small.run();
            Runnable once = call(method, n, m, grad);
            System.gc();
            long base = rss();
            resetPeak();
            long t0 = System.nanoTime();
            once.run();
            double first = (System.nanoTime() - t0) / 1e9;
            long peak = peakRss();
            once.run();
            int reps = first > 0.5 ? 7 : (int) Math.max(7, Math.min(40, 2.5 / Math.max(first, 1e-4)));
            double[] times = new double[reps];
            for (int i = 0; i < reps; i++) {
                long s = System.nanoTime();
                once.run();
                times[i] = (System.nanoTime() - s) / 1e6;
            }
            Arrays.sort(times);
            JsonObject r = new JsonObject();
            r.addProperty("method", method);
            r.addProperty("n", n);
            r.addProperty("mode", mode);
            r.addProperty("median_ms", medianOfSorted(times));
            r.addProperty("min_ms", times[0]);
            r.addProperty("reps", reps);
            r.addProperty("base_rss_mb", base / 1e6);
            r.addProperty("peak_delta_mb", (peak - base) / 1e6);
            return r.toString();
        }
    }

    /** An output and what to close with it. */
    private record AttentionOutputs(NDArray output, AutoCloseable state) implements AutoCloseable {
        @Override
        public void close() {
            if (state != null) {
                try {
                    state.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** Inputs of length n and one call of the method on them (forward, or forward and backward). */
    private static Runnable call(String method, int n, NDManager m, boolean grad) {
        NDArray q = m.randomNormal(new Shape(B, H, n, D));
        NDArray k = m.randomNormal(new Shape(B, H, n, D));
        NDArray v = m.randomNormal(new Shape(B, H, n, D));
        // the LeaP features are 2D wide: the weights of the loss take the output's width
        NDArray gout = m.randomNormal(new Shape(B, H, n, method.equals("leap_features") ? 2 * D : D));
        if (grad) {
            q.setRequiresGradient(true);
            k.setRequiresGradient(true);
            v.setRequiresGradient(true);
        }
        Supplier<AttentionOutputs> fn = form(method, n, m, q, k, v, grad);
        return () -> {
            try (NDManager step = m.newSubManager()) {
                if (grad) {
                    try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                        AttentionOutputs o = fn.get();
                        o.output.attach(step);
                        NDArray loss = o.output.mul(gout).sum();
                        loss.attach(step);
                        gc.backward(loss);
                        o.close();
                    }
                } else {
                    boolean before = JniUtils.isGradMode();
                    JniUtils.setGradMode(false);
                    try {
                        AttentionOutputs o = fn.get();
                        o.output.attach(step);
                        o.close();
                    } finally {
                        JniUtils.setGradMode(before);
                    }
                }
            }
        };
    }

    /** Long enough for the method's full path (three chunks for a chunked form), short enough to free little. */
    private static int warmUpLength(String method) {
        return 3 * chunkOf(method);
    }

    /**
     * The four batched products of the chunked form at C=64 and nothing else, on inputs shaped as
     * the form shapes them (q, k: (B, H, nc, C, F=2D) from two copies of q and k; [v | 1]:
     * (B, H, nc, C, D+1)): k^T[v|1], q k^T, (q k^T)[v|1] and q·prev, with k^T a transposed view as
     * in the form. Their FLOPs are {@link #chunkedFlops}; the element-wise passes, prefix sums and
     * feature maps are left out, so this is the rate the form's products reach on this engine.
     */
    private static Supplier<AttentionOutputs> chunkProducts(int n, NDManager m, NDArray q, NDArray k, NDArray v,
            boolean grad) {
        int c = 64;
        long nc = (n + c - 1) / c;
        long pad = nc * c - n;
        NDArray fq = features(m, q, pad, nc, c);
        NDArray fk = features(m, k, pad, nc, c);
        NDArray vv;
        try (NDArray sv = v.stopGradient(); NDArray ones = m.ones(new Shape(B, H, n, 1));
                NDArray va = NDArrays.concat(new NDList(sv, ones), 3); NDArray padded = padded(m, va, pad)) {
            vv = padded.reshape(B, H, nc, c, D + 1);
        }
        NDArray prev = m.randomUniform(0, 1, new Shape(B, H, nc, 2 * D, D + 1));
        if (grad) {
            for (NDArray x : new NDArray[] {fq, fk, vv, prev}) {
                x.setRequiresGradient(true);
            }
        }
        return () -> {
            try (NDArray kt = fk.transpose(0, 1, 2, 4, 3); NDArray kv = kt.matMul(vv); NDArray scores = fq.matMul(kt);
                    NDArray intra = scores.matMul(vv); NDArray inter = fq.matMul(prev); NDArray both = intra.add(inter);
                    NDArray flat = both.reshape(B, H, nc * c, D + 1); NDArray cut = flat.get(":, :, :{}, :{}", n, D);
                    NDArray kvSum = kv.sum()) {
                // one sum of the four, so that the loss (and a backward) reaches every product
                return new AttentionOutputs(cut.add(kvSum), null);
            }
        };
    }

    /** x (B, H, n, D) as non-negative features (B, H, nc, C, 2D), padded to whole chunks. */
    private static NDArray features(NDManager m, NDArray x, long pad, long nc, int c) {
        try (NDArray r = x.stopGradient(); NDArray two = NDArrays.concat(new NDList(r, r), 3);
                NDArray relu = two.abs(); NDArray padded = padded(m, relu, pad)) {
            return padded.reshape(B, H, nc, c, 2 * D);
        }
    }

    /** x (B, H, n, W) with pad rows of zeros after its tokens (a copy either way). */
    private static NDArray padded(NDManager m, NDArray x, long pad) {
        if (pad == 0) {
            return x.duplicate();
        }
        Shape s = x.getShape();
        try (NDArray zeros = m.zeros(new Shape(s.get(0), s.get(1), pad, s.get(3)))) {
            return NDArrays.concat(new NDList(x, zeros), 2);
        }
    }

    /** The chunk size a method name gives (leap_causal_chunk32: 32), else the default 64. */
    private static int chunkOf(String method) {
        return method.contains("_chunk") ? Integer.parseInt(method.replaceAll(".*_chunk(\\d+).*", "$1")) : 64;
    }

    private static Supplier<AttentionOutputs> form(String method, int n, NDManager m, NDArray q, NDArray k, NDArray v,
            boolean grad) {
        if (method.equals("chunk64_products")) {
            return chunkProducts(n, m, q, k, v, grad);
        }
        if (method.startsWith("softmax")) {
            SoftmaxAttention s = SoftmaxAttention.builder().build();
            if (method.equals("softmax")) {
                return () -> new AttentionOutputs(s.bidirectional(q, k, v, null), null);
            }
            return () -> {
                AttentionOutput<KvCache> r = s.causal(q, k, v, null);
                return new AttentionOutputs(r.output(), r.state());
            };
        }
        AttentionKind kind = method.startsWith("cosformer") ? AttentionKind.COSFORMER
                : method.startsWith("relu") ? AttentionKind.RELU_LINEAR : AttentionKind.LEAP;
        int chunk = chunkOf(method);
        LinearAttention.Builder b = LinearAttention.builder().setKind(kind).setHeadDim(D).optLeapHidden(HIDDEN)
                .optChunkSize(chunk);
        if (kind == AttentionKind.COSFORMER) {
            b.optSequenceLength(n);
        }
        LinearAttention a = b.build();
        a.initialize(m, DataType.FLOAT32);
        if (method.equals("leap_bidir")) {
            return () -> new AttentionOutputs(a.bidirectional(q, k, v, null), null);
        }
        if (method.equals("leap_features")) {
            FeatureMap fm = a.featureMap(new ParameterStore(m, false), true, true);
            return () -> {
                try (NDArray fq = fm.queries(q, 0); NDArray fk = fm.keys(k, 0)) {
                    return new AttentionOutputs(fq.add(fk), null); // (B, H, N, 2D), one cheap pass
                }
            };
        }
        Form f = method.contains("quad") ? Form.QUADRATIC : Form.CHUNKED;
        return () -> {
            AttentionOutput<LinearState> r = a.causal(q, k, v, null, f);
            return new AttentionOutputs(r.output(), r.state());
        };
    }

    private static long rss() {
        return status("VmRSS:");
    }

    private static long peakRss() {
        return status("VmHWM:");
    }

    /** Resets VmHWM to the current resident set (Linux ≥ 4.0). */
    private static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // not Linux, or not allowed: the peak then includes the setup
        }
    }

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return 0;
    }

    private static String formsTable(List<JsonObject> rows, List<Integer> ns, List<String> methods,
            List<String> modes, int threads) {
        Map<String, JsonObject> idx = new LinkedHashMap<>();
        rows.forEach(r -> idx.put(r.get("method").getAsString() + "/" + r.get("n").getAsInt() + "/"
                + r.get("mode").getAsString(), r));
        StringBuilder s = new StringBuilder("# bench forms\n\n").append(LeapEngine.ensureInitialized())
                .append("; ").append(threads).append(" thread(s); B=1 H=2 D=32 float32, LeaP hidden 8, clamp 0.1\n")
                .append(where()).append("\n\n");
        for (String mode : modes) {
            s.append(mode.equals("fwd") ? "forward" : "forward+backward")
                    .append(": median ms [min ms] (peak memory growth MB); ratio = softmax_causal / this\n\n");
            s.append("| method |");
            ns.forEach(n -> s.append(" N=").append(n).append(" |"));
            s.append("\n|---|").append("---|".repeat(ns.size())).append('\n');
            for (String m : methods) {
                s.append("| ").append(m).append(" |");
                for (int n : ns) {
                    JsonObject r = idx.get(m + "/" + n + "/" + mode);
                    JsonObject base = idx.get("softmax_causal/" + n + "/" + mode);
                    if (r == null) {
                        s.append(" - |");
                    } else if (r.has("error")) {
                        s.append(" ERR |");
                    } else {
                        s.append(String.format(Locale.ROOT, " %.1f [%.1f] (%.0f)", r.get("median_ms").getAsDouble(),
                                r.get("min_ms").getAsDouble(), r.get("peak_delta_mb").getAsDouble()));
                        if (base != null && !base.has("error") && m.contains("causal") && !m.equals("softmax_causal")) {
                            s.append(String.format(Locale.ROOT, " %.1f×", base.get("median_ms").getAsDouble()
                                    / r.get("median_ms").getAsDouble()));
                        }
                        s.append(" |");
                    }
                }
                s.append('\n');
            }
            s.append('\n');
        }
        return s.toString();
    }

    /** How close the chunked causal forward comes to the machine's matrix-product rate. */
    private static String machineRate(List<JsonObject> rows, JsonObject matmul) {
        if (matmul.has("error")) {
            return "matmul reference failed: " + matmul.get("error").getAsString() + "\n";
        }
        double peak = matmul.get("gflops").getAsDouble();
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "Close to the machine: a 1024×1024 fp32 matrix "
                + "product ran at %.1f GFLOP/s (best of 9). \"Products alone\" is chunk64_products: the form's four "
                + "batched products on ready inputs, without the feature maps, element-wise passes and prefix sums; "
                + "it is the most the form's products reach on this engine.%n%n"
                + "| chunked causal LeaP forward | GFLOP (counted) | min ms | GFLOP/s | of the matmul rate "
                + "| products alone: min ms | GFLOP/s | of the matmul rate |%n"
                + "|---|---|---|---|---|---|---|---|%n", peak));
        for (JsonObject r : rows) {
            if (!r.has("error") && r.get("method").getAsString().equals("leap_causal_chunk64")
                    && r.get("mode").getAsString().equals("fwd")) {
                int n = r.get("n").getAsInt();
                double flops = chunkedFlops(n, 64);
                double ms = r.get("min_ms").getAsDouble();
                double rate = flops / (ms * 1e6);
                s.append(String.format(Locale.ROOT, "| N=%d | %.3f | %.2f | %.1f | %.0f%% |", n, flops / 1e9, ms, rate,
                        100 * rate / peak));
                JsonObject p = rows.stream().filter(x -> !x.has("error")
                        && x.get("method").getAsString().equals("chunk64_products") && x.get("n").getAsInt() == n
                        && x.get("mode").getAsString().equals("fwd")).findFirst().orElse(null);
                if (p == null) {
                    s.append(" - | - | - |\n");
                } else {
                    double pms = p.get("min_ms").getAsDouble();
                    double prate = flops / (pms * 1e6);
                    s.append(String.format(Locale.ROOT, " %.2f | %.1f | %.0f%% |%n", pms, prate, 100 * prate / peak));
                }
            }
        }
        return s.append('\n').toString();
    }

    /** Time and memory against N, log–log, one line per method (forward+backward when measured). */
    private static String formsSvg(List<JsonObject> rows, List<Integer> ns, List<String> methods) {
        String mode = rows.stream().anyMatch(r -> r.get("mode").getAsString().equals("fwdbwd")) ? "fwdbwd" : "fwd";
        String[] colours = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"};
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                + "width=\"900\" height=\"380\" font-family=\"sans-serif\" font-size=\"12\">%n"
                + "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>%n"));
        String[] keys = {"median_ms", "peak_delta_mb"};
        String[] titles = {("fwdbwd".equals(mode) ? "forward+backward" : "forward") + " time (ms) against N",
            "peak memory growth (MB) against N"};
        for (int panel = 0; panel < 2; panel++) {
            int x0 = 60 + panel * 440;
            int y0 = 40;
            int w = 340;
            int h = 260;
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (JsonObject r : rows) {
                if (!r.has("error") && r.get("mode").getAsString().equals(mode)) {
                    double val = Math.max(r.get(keys[panel]).getAsDouble(), 0.1);
                    lo = Math.min(lo, val);
                    hi = Math.max(hi, val);
                }
            }
            if (!(lo < hi)) {
                lo = 0.1;
                hi = 10;
            }
            double llo = Math.floor(Math.log10(lo));
            double lhi = Math.ceil(Math.log10(hi));
            double nlo = Math.log10(ns.get(0));
            double nhi = Math.log10(ns.get(ns.size() - 1));
            if (nhi <= nlo) {
                nhi = nlo + 1;
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"14\">%s</text>%n", x0, y0 - 15,
                    titles[panel]));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                    + "stroke=\"#999\"/>%n", x0, y0, w, h));
            for (double e = llo; e <= lhi; e++) {
                double py = y0 + h - (e - llo) / (lhi - llo) * h;
                s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
                        + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", x0, py, x0 + w, py, x0 - 4, py + 4,
                        e >= 0 ? String.valueOf((long) Math.pow(10, e)) : String.valueOf(Math.pow(10, e))));
            }
            for (int n : ns) {
                double px = x0 + (Math.log10(n) - nlo) / (nhi - nlo) * w;
                s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n", px,
                        y0 + h + 15, n));
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">N (tokens)</text>%n",
                    x0 + w / 2, y0 + h + 32));
            for (int mi = 0; mi < methods.size(); mi++) {
                StringBuilder pts = new StringBuilder();
                for (JsonObject r : rows) {
                    if (!r.has("error") && r.get("mode").getAsString().equals(mode)
                            && r.get("method").getAsString().equals(methods.get(mi))) {
                        double val = Math.max(r.get(keys[panel]).getAsDouble(), 0.1);
                        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x0 + (Math.log10(r.get("n").getAsInt())
                                - nlo) / (nhi - nlo) * w, y0 + h - (Math.log10(val) - llo) / (lhi - llo) * h));
                    }
                }
                s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                        + "stroke-width=\"2\"/>%n", pts.toString().trim(), colours[mi % colours.length]));
                if (panel == 1) {
                    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                            + "stroke-width=\"3\"/><text x=\"%d\" y=\"%d\">%s</text>%n", 60 + mi * 150 % 840,
                            355 + (mi * 150 / 840) * 14, 80 + mi * 150 % 840, 355 + (mi * 150 / 840) * 14,
                            colours[mi % colours.length], 84 + mi * 150 % 840, 359 + (mi * 150 / 840) * 14,
                            methods.get(mi)));
                }
            }
        }
        return s.append("</svg>\n").toString();
    }

    // ---- decode: per-token latency, in this JVM ----

    private static int decode(Args a, int threads, Path dir, PrintStream out) {
        List<Integer> contexts = ints(a.string("contexts", "256,1024,4096,16384,65536"), "contexts");
        out.println(meta(threads));
        List<JsonObject> rows = new ArrayList<>();
        try (NDManager m = LeapEngine.newManager()) {
            Engine.getEngine("PyTorch").setRandomSeed(0);
            LinearAttention leap = LinearAttention.builder().setHeadDim(D).optLeapHidden(HIDDEN).build();
            leap.initialize(m, DataType.FLOAT32);
            SoftmaxAttention soft = SoftmaxAttention.builder().build();
            ModelConfig lmConfig = ModelConfig.builder().setVocabSize(80).setMaxLength(128).build(); // the CLI's LM
            DecoderLM lm = new DecoderLM(lmConfig).initialize(m, DataType.FLOAT32, 0);
            DecoderLM softLm = new DecoderLM(lmConfig.toBuilder().optKind(AttentionKind.SOFTMAX).build())
                    .initialize(m, DataType.FLOAT32, 0);
            JvmDecoder fast = JvmDecoder.of(lm);
            JvmDecoder fastSoft = JvmDecoder.of(softLm);
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(false);
            try {
                // two unrecorded rounds first: the JIT and libtorch are still warming up while the first
                // configurations run (the fused step at context 256 measured 24, then 7, then 4 µs in
                // three rounds of one process)
                int first = contexts.stream().mapToInt(Integer::intValue).min().orElseThrow();
                out.println("bench decode: two warm-up rounds at context " + first + " (not recorded)");
                decodeRound(m, leap, soft, lm, softLm, fast, fastSoft, first);
                decodeRound(m, leap, soft, lm, softLm, fast, fastSoft, first);
                for (int c : contexts) {
                    List<JsonObject> round = decodeRound(m, leap, soft, lm, softLm, fast, fastSoft, c);
                    round.forEach(out::println);
                    rows.addAll(round);
                }
            } finally {
                JniUtils.setGradMode(grad);
            }
        }
        String table = decodeTable(rows, contexts, threads);
        report(out, dir, "decode", rows, table, null);
        return 0;
    }

    /** The seven decode measurements at one context length. */
    private static List<JsonObject> decodeRound(NDManager m, LinearAttention leap, SoftmaxAttention soft, DecoderLM lm,
            DecoderLM softLm, JvmDecoder fast, JvmDecoder fastSoft, int c) {
        List<JsonObject> rows = new ArrayList<>();
        rows.add(row("layer", "leap_recurrent", c, layerLeap(m, leap, c)));
        rows.add(row("layer", "leap_fused", c, layerFused(m, leap, c)));
        rows.add(row("layer", "softmax_kv_cache", c, layerSoftmax(m, soft, c)));
        rows.add(row("model", "leap_jvm", c, modelJvm(fast, c, false)));
        rows.add(row("model", "leap_session", c, c <= 16384 ? modelSession(m, lm, c, false) : Double.NaN));
        rows.add(row("model", "softmax_jvm", c, c <= 4096 ? modelJvm(fastSoft, c, true) : Double.NaN));
        rows.add(row("model", "softmax_session", c, c <= 4096 ? modelSession(m, softLm, c, true) : Double.NaN));
        return rows;
    }

    private static JsonObject row(String scope, String method, int context, double micros) {
        JsonObject r = new JsonObject();
        r.addProperty("scope", scope);
        r.addProperty("method", method);
        r.addProperty("context", context);
        if (Double.isFinite(micros)) {
            r.addProperty("median_us", micros);
        } else {
            r.addProperty("skipped", "context too long for this method's prefill");
        }
        return r;
    }

    /** Median µs of {@code step} over enough repetitions for about a second, after half a second of warm-up. */
    private static double median(Runnable step) {
        long warm = System.nanoTime() + 500_000_000L;
        for (int i = 0; i < 20 || System.nanoTime() < warm; i++) {
            step.run();
        }
        long t0 = System.nanoTime();
        step.run();
        double one = Math.max((System.nanoTime() - t0) / 1e3, 1);
        int reps = (int) Math.max(30, Math.min(3000, 1e6 / one));
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            step.run();
            t[i] = (System.nanoTime() - s) / 1e3;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    private static double layerLeap(NDManager m, LinearAttention leap, int context) {
        try (NDManager c = m.newSubManager()) {
            NDArray x = c.randomNormal(new Shape(B, H, context, D));
            AttentionOutput<LinearState> prefix = leap.causal(x, x, x, null, Form.CHUNKED);
            NDArray t = c.randomNormal(new Shape(B, H, 1, D));
            double us = median(() -> {
                try (NDManager s = c.newSubManager()) {
                    NDArray tt = t.duplicate();
                    tt.attach(s);
                    AttentionOutput<LinearState> r = leap.causal(tt, tt, tt, prefix.state(), Form.RECURRENT);
                    r.output().attach(s);
                    r.state().close();
                }
            });
            prefix.state().close();
            return us;
        }
    }

    /** The fused recurrent step on the JVM (inputs and output as Java arrays), state after a chunked prefix. */
    private static double layerFused(NDManager m, LinearAttention leap, int context) {
        try (NDManager c = m.newSubManager()) {
            NDArray x = c.randomNormal(new Shape(B, H, context, D));
            AttentionOutput<LinearState> prefix = leap.causal(x, x, x, null, Form.CHUNKED);
            FusedRecurrent fused = FusedRecurrent.of(leap, H, D, null);
            FusedRecurrent.State st = fused.fromState(prefix.state());
            prefix.state().close();
            float[] t = c.randomNormal(new Shape(H * D)).toFloatArray();
            float[] out = new float[H * D];
            return median(() -> fused.step(st, t, t, t, out));
        }
    }

    private static double layerSoftmax(NDManager m, SoftmaxAttention soft, int context) {
        try (NDManager c = m.newSubManager()) {
            KvCache cache = KvCache.of(c, c.randomNormal(new Shape(B, H, context, D)),
                    c.randomNormal(new Shape(B, H, context, D)));
            NDArray t = c.randomNormal(new Shape(B, H, 1, D));
            double us = median(() -> {
                try (NDManager s = c.newSubManager()) {
                    NDArray tt = t.duplicate();
                    tt.attach(s);
                    AttentionOutput<KvCache> r = soft.causal(tt, tt, tt, cache);
                    r.output().attach(s);
                    r.state().close();
                }
            });
            cache.close();
            return us;
        }
    }

    /**
     * @param grows whether the state grows per token (softmax): then every timed step starts from a
     *     copy of the prefilled state, so the context stays what it says; a linear state is the same
     *     size at every position and is stepped on
     */
    private static double modelJvm(JvmDecoder decoder, int context, boolean grows) {
        JvmDecoder.State st = decoder.newState();
        for (int i = 0; i < context; i++) {
            decoder.step(st, i % 80);
        }
        int[] token = {0};
        return median(() -> decoder.step(grows ? st.copy() : st, token[0]++ % 80));
    }

    private static double modelSession(NDManager m, DecoderLM lm, int context, boolean grows) {
        try (NDManager c = m.newSubManager(); DecoderLM.Session session = lm.newSession(c, 1)) {
            long[] ids = new long[context];
            for (int i = 0; i < context; i++) {
                ids[i] = i % 80;
            }
            try (NDManager s = c.newSubManager()) {
                session.feed(s.create(ids, new Shape(1, context)), Form.CHUNKED);
            }
            return median(() -> {
                try (NDManager s = c.newSubManager()) {
                    if (grows) {
                        try (DecoderLM.Session fork = session.fork(s)) {
                            fork.feed(s.create(new long[] {7}, new Shape(1, 1)), Form.RECURRENT);
                        }
                    } else {
                        session.feed(s.create(new long[] {7}, new Shape(1, 1)), Form.RECURRENT);
                    }
                }
            });
        }
    }

    private static String decodeTable(List<JsonObject> rows, List<Integer> contexts, int threads) {
        Map<String, Double> v = new LinkedHashMap<>();
        for (JsonObject r : rows) {
            if (r.has("median_us")) {
                v.put(r.get("method").getAsString() + "/" + r.get("context").getAsInt(), r.get("median_us").getAsDouble());
            }
        }
        StringBuilder s = new StringBuilder("# bench decode\n\n").append(LeapEngine.ensureInitialized()).append("; ")
                .append(threads).append(" thread(s)\n").append(where()).append("\n\n");
        s.append("One attention layer (B=1, H=2, D=32, LeaP hidden 8), one decoded token: median µs\n\n| method |");
        contexts.forEach(c -> s.append(" context ").append(c).append(" |"));
        s.append("\n|---|").append("---|".repeat(contexts.size())).append('\n');
        for (String m : List.of("leap_recurrent", "leap_fused", "softmax_kv_cache")) {
            s.append("| ").append(m).append(" |");
            contexts.forEach(c -> s.append(cell(v.get(m + "/" + c))).append(" |"));
            s.append('\n');
        }
        s.append("| softmax_kv_cache / leap_recurrent |");
        contexts.forEach(c -> s.append(ratio(v.get("softmax_kv_cache/" + c), v.get("leap_recurrent/" + c))).append(" |"));
        s.append("\n| softmax_kv_cache / leap_fused |");
        contexts.forEach(c -> s.append(ratio(v.get("softmax_kv_cache/" + c), v.get("leap_fused/" + c))).append(" |"));
        s.append("\n| leap_recurrent / leap_fused |");
        contexts.forEach(c -> s.append(ratio(v.get("leap_recurrent/" + c), v.get("leap_fused/" + c))).append(" |"));
        s.append("\n\nWhole DecoderLM (2 layers, d_model 64, H=2, D=32, V=80), one decoded token: median µs "
                + "(tokens/s = 10⁶ / µs)\n\n| method |");
        contexts.forEach(c -> s.append(" context ").append(c).append(" |"));
        s.append("\n|---|").append("---|".repeat(contexts.size())).append('\n');
        for (String m : List.of("leap_jvm", "leap_session", "softmax_jvm", "softmax_session")) {
            s.append("| ").append(m).append(" |");
            contexts.forEach(c -> s.append(cell(v.get(m + "/" + c))).append(" |"));
            s.append('\n');
        }
        s.append("| leap_session / leap_jvm |");
        contexts.forEach(c -> s.append(ratio(v.get("leap_session/" + c), v.get("leap_jvm/" + c))).append(" |"));
        s.append("\n| softmax_session / leap_jvm |");
        contexts.forEach(c -> s.append(ratio(v.get("softmax_session/" + c), v.get("leap_jvm/" + c))).append(" |"));
        return s.append("\n").toString();
    }

    private static String cell(Double us) {
        return us == null ? " -" : String.format(Locale.ROOT, " %.0f", us);
    }

    private static String ratio(Double a, Double b) {
        return a == null || b == null ? " -" : String.format(Locale.ROOT, " %.1f×", a / b);
    }

    // ---- train: steps of the train command's default models, in this JVM ----

    /**
     * Training throughput of {@code train --task lm} and {@code --task listops} with their default
     * sizes (the data, model and optimizer the command builds): every step is timed, the first
     * tenth (at least 5) are warm-up, and the median and minimum step and the input tokens per
     * second of the median step are reported. The thread count is the engine's (one under Maven, as
     * the train command).
     */
    private static int train(Args a, Path dir, PrintStream out) {
        List<String> tasks = list(a.string("tasks", "lm,listops"), "tasks", List.of("lm", "listops"));
        List<String> kinds = list(a.string("attention", "leap,relu,softmax"), "attention",
                List.of("leap", "cosformer", "relu", "softmax"));
        long steps = a.positiveLong("steps", 60);
        long warm = Math.max(5, steps / 10);
        if (steps < warm + 5) {
            throw new IllegalArgumentException("bench train --steps: expected at least " + (warm + 5)
                    + " (5 warm-up steps and 5 timed ones), found " + steps);
        }
        out.println(LeapEngine.ensureInitialized());
        List<JsonObject> rows = new ArrayList<>();
        for (String task : tasks) {
            for (String kind : kinds) {
                JsonObject r = trainRow(task, kind, steps, warm);
                rows.add(r);
                out.println(r);
            }
        }
        String table = trainTable(rows, steps, warm);
        report(out, dir, "train", rows, table, null);
        return 0;
    }

    private static JsonObject trainRow(String taskName, String kind, long steps, long warm) {
        String[] targs = {"train", "--task", taskName, "--attention", kind, "--steps", String.valueOf(steps),
            "--eval-every", String.valueOf(steps)};
        Args ta = Args.parse("train", targs, 1, Training.TRAIN_OPTIONS, Set.of());
        TaskData data = TaskData.prepare(ta);
        ModelConfig mc = Training.modelConfig(ta, data);
        Path checkpoints;
        try {
            checkpoints = Files.createTempDirectory("leap-bench-train");
        } catch (IOException e) {
            throw new UncheckedIOException("bench train: cannot create a temporary folder for checkpoints", e);
        }
        List<double[]> timed = new ArrayList<>(); // seconds, tokens
        long parameters;
        try {
            TrainingConfig tc = Training.trainingConfig(ta, data, checkpoints);
            LeapEngine.engine().setRandomSeed((int) tc.seed());
            try (NDManager manager = NDManager.newBaseManager(tc.resolveDevices()[0], "PyTorch")) {
                Task task = Training.newTask(data, mc, manager, tc.seed());
                parameters = Training.parameterCount(task.block());
                try (Trainer trainer = new Trainer(task, tc)) {
                    trainer.addListener(new TrainingListener() {
                        @Override
                        public void onStep(Step s) {
                            if (s.step() > warm) {
                                timed.add(new double[] {s.seconds(), s.tokens()});
                            }
                        }
                    });
                    trainer.fit(data.train(), data.valid());
                }
            }
        } finally {
            deleteTree(checkpoints);
        }
        double[] ms = timed.stream().mapToDouble(t -> t[0] * 1e3).sorted().toArray();
        double tokens = timed.stream().mapToDouble(t -> t[1]).average().orElse(0);
        double median = medianOfSorted(ms);
        JsonObject r = new JsonObject();
        r.addProperty("task", taskName);
        r.addProperty("attention", kind);
        r.addProperty("median_ms", median);
        r.addProperty("min_ms", ms[0]);
        r.addProperty("tokens_per_step", tokens);
        r.addProperty("tokens_per_s", tokens / (median / 1e3));
        r.addProperty("timed_steps", ms.length);
        r.addProperty("parameters", parameters);
        return r;
    }

    private static String trainTable(List<JsonObject> rows, long steps, long warm) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "train: %d steps per run, the first %d not "
                + "timed; one optimizer step, median [min] ms; input tokens/s of the median step%n", steps, warm));
        s.append(LeapEngine.ensureInitialized()).append("; ").append(where()).append("\n\n");
        s.append("| task | attention | parameters | ms per step | tokens/s |\n|---|---|---|---|---|\n");
        for (JsonObject r : rows) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %,d | %.1f [%.1f] | %,.0f |%n",
                    r.get("task").getAsString(), r.get("attention").getAsString(), r.get("parameters").getAsLong(),
                    r.get("median_ms").getAsDouble(), r.get("min_ms").getAsDouble(),
                    r.get("tokens_per_s").getAsDouble()));
        }
        return s.toString();
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder left behind is harmless
        }
    }

    // ---- common ----

    static double medianOfSorted(double[] x) {
        int n = x.length;
        return n % 2 == 1 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
    }

    /** Writes NAME.jsonl, NAME.md (and NAME.svg) atomically, then prints the table and what was written. */
    private static void report(PrintStream out, Path dir, String name, List<JsonObject> rows, String table,
            String svg) {
        StringBuilder jsonl = new StringBuilder();
        rows.forEach(r -> jsonl.append(GSON.toJson(r)).append('\n'));
        AtomicFiles.write(dir.resolve(name + ".jsonl"), w -> w.write(jsonl.toString()));
        AtomicFiles.write(dir.resolve(name + ".md"), w -> w.write(table));
        if (svg != null) {
            AtomicFiles.write(dir.resolve(name + ".svg"), w -> w.write(svg));
        }
        out.println(table);
        out.println("bench: wrote " + dir.resolve(name + ".jsonl") + (svg == null ? " and " + name + ".md"
                : ", " + name + ".md and " + name + ".svg"));
    }

    private static List<Integer> ints(String s, String option) {
        List<Integer> out = new ArrayList<>();
        for (String p : s.split(",")) {
            try {
                int v = Integer.parseInt(p.trim());
                if (v > 0) {
                    out.add(v);
                    continue;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException("bench --" + option + ": expected positive integers separated by commas, "
                    + "found '" + p.trim() + "'");
        }
        return out;
    }

    private static List<String> list(String s, String option, List<String> valid) {
        List<String> out = new ArrayList<>();
        for (String p : s.split(",")) {
            if (!valid.contains(p.trim())) {
                throw new IllegalArgumentException("bench --" + option + ": expected some of " + valid + ", found '"
                        + p.trim() + "'");
            }
            out.add(p.trim());
        }
        return out;
    }
}
