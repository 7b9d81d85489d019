package org.leapformer.study;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Where a study ran: the commit and the machine, as recorded in study.json. */
public final class Machine {

    private Machine() {}

    /** {@code git rev-parse HEAD} in the working directory, or "unknown". */
    public static String commit() {
        String head = git("rev-parse", "HEAD");
        return head == null || head.isBlank() ? "unknown" : head.trim();
    }

    /** Whether the work tree has uncommitted changes to tracked files (null when unknown). */
    public static Boolean dirty() {
        String s = git("status", "--porcelain", "--untracked-files=no");
        return s == null ? null : !s.isBlank();
    }

    private static String git(String... args) {
        try {
            List<String> cmd = new java.util.ArrayList<>(List.of("git"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            // wait first (a hung git must not block the study); its output is a line, which fits the pipe
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return null;
            }
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * CPU model and physical cores (from /proc/cpuinfo, when there is one), the hardware threads the
     * JVM sees, the engine's intra- and inter-op threads (as set by system properties) and the memory
     * allocator when one is preloaded ({@code LD_PRELOAD}), else the C library's.
     */
    public static JsonObject describe() {
        JsonObject m = new JsonObject();
        String model = "unknown";
        Set<String> cores = new HashSet<>();
        String physical = null;
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            try {
                for (String line : Files.readAllLines(cpuinfo, StandardCharsets.UTF_8)) {
                    int colon = line.indexOf(':');
                    if (colon < 0) {
                        continue;
                    }
                    String key = line.substring(0, colon).trim();
                    String value = line.substring(colon + 1).trim();
                    if (key.equals("model name") && model.equals("unknown")) {
                        model = value;
                    } else if (key.equals("physical id")) {
                        physical = value;
                    } else if (key.equals("core id")) {
                        cores.add(physical + "/" + value);
                    }
                }
            } catch (IOException e) {
                // left unknown
            }
        }
        m.addProperty("cpu", model);
        if (!cores.isEmpty()) {
            m.addProperty("cores", cores.size());
        }
        m.addProperty("hardwareThreads", Runtime.getRuntime().availableProcessors());
        m.addProperty("engineThreads", System.getProperty("ai.djl.pytorch.num_threads", "engine default"));
        m.addProperty("engineInteropThreads", System.getProperty("ai.djl.pytorch.num_interop_threads",
                "engine default"));
        m.addProperty("allocator", org.leapformer.LeapEngine.allocator());
        m.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.addProperty("java", System.getProperty("java.version"));
        return m;
    }
}
