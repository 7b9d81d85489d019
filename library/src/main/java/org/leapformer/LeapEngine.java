package org.leapformer;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DJL PyTorch engine as this library uses it: started once, described in one log line.
 *
 * <p>The device is {@link #device()}: the system property {@code leap.device} ({@code cpu},
 * {@code gpu}, {@code gpu0}, ...) when set, otherwise the engine's default device (a GPU when
 * one is present and the CUDA build of libtorch is on the classpath, else the CPU).
 */
public final class LeapEngine {

    static {
        // DJL probes for CUDA when it starts and warns "Failed to detect GPU count" on every machine
        // without a GPU driver; the engine line gives the GPU count instead. (SLF4J simple loggers,
        // Maven's included, read this property when the logger is created; set it to override.)
        String quiet = "org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils";
        if (System.getProperty(quiet) == null) {
            System.setProperty(quiet, "error");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(LeapEngine.class);
    private static volatile String summary;

    private LeapEngine() {}

    /**
     * Starts the PyTorch engine if needed and returns the one-line description logged at first
     * use: engine, version, flavor, device, GPU count and thread counts.
     *
     * @return the description, e.g. {@code "PyTorch 2.5.1 (cpu) on cpu(), 0 GPU, threads 1/1"}
     */
    public static String ensureInitialized() {
        String s = summary;
        if (s == null) {
            synchronized (LeapEngine.class) {
                s = summary;
                if (s == null) {
                    s = describe();
                    LOG.info("LeaPformer engine: {}", s);
                    summary = s;
                }
            }
        }
        return s;
    }

    /**
     * The PyTorch engine, started on first call.
     *
     * @return the DJL engine named {@code PyTorch}
     */
    public static Engine engine() {
        ensureInitialized();
        return Engine.getEngine("PyTorch");
    }

    /**
     * The device tensors are created on unless a caller chooses one.
     *
     * @return {@code leap.device} when set, else the engine's default device
     * @throws IllegalArgumentException when {@code leap.device} names no known device or a GPU
     *     that is not present
     */
    public static Device device() {
        Engine engine = engine();
        String wanted = System.getProperty("leap.device", System.getenv("LEAP_DEVICE"));
        if (wanted == null || wanted.isBlank()) {
            return engine.defaultDevice();
        }
        String name = wanted.trim().toLowerCase(java.util.Locale.ROOT);
        Device d;
        if (name.equals("cpu")) {
            d = Device.cpu();
        } else if (name.matches("gpu\\d*")) {
            d = Device.gpu(name.length() == 3 ? 0 : Integer.parseInt(name.substring(3)));
        } else {
            throw new IllegalArgumentException("leap.device: expected cpu, gpu or gpuN, found '" + wanted + "'");
        }
        if (d.isGpu() && d.getDeviceId() >= engine.getGpuCount()) {
            throw new IllegalArgumentException(
                    "leap.device: expected a GPU index below the GPU count "
                            + engine.getGpuCount()
                            + ", found '"
                            + wanted
                            + "'");
        }
        return d;
    }

    /**
     * A new base manager on {@link #device()}; close it when done.
     *
     * @return a new base manager on {@link #device()}
     */
    public static NDManager newManager() {
        return NDManager.newBaseManager(device(), "PyTorch");
    }

    private static String describe() {
        Engine engine = Engine.getEngine("PyTorch");
        String flavor = flavorOf(LibUtils.getLibtorchPath());
        return "PyTorch "
                + engine.getVersion()
                + " ("
                + flavor
                + ") on "
                + engine.defaultDevice()
                + ", "
                + engine.getGpuCount()
                + " GPU, threads "
                + JniUtils.getNumThreads()
                + "/"
                + JniUtils.getNumInteropThreads()
                + " (intra/inter-op), allocator "
                + allocator();
    }

    /**
     * The memory allocator this process runs with, from {@code LD_PRELOAD}: tcmalloc, jemalloc, or
     * the C library's malloc when nothing is preloaded.
     *
     * @return a short description, e.g. {@code tcmalloc (/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4)}
     */
    public static String allocator() {
        String preload = System.getenv("LD_PRELOAD");
        if (preload == null || preload.isBlank()) {
            return "C library malloc (no LD_PRELOAD)";
        } else if (preload.contains("jemalloc")) {
            return "jemalloc (" + preload + ")";
        } else if (preload.contains("tcmalloc")) {
            return "tcmalloc (" + preload + ")";
        }
        return "unknown (LD_PRELOAD=" + preload + ")";
    }

    private static String flavorOf(String libtorchPath) {
        if (libtorchPath == null) {
            return "unknown flavor";
        }
        // the extracted folder is named like 2.5.1-20241113-cpu-linux-x86_64 (or ...-cu124-...)
        for (Path p = Path.of(libtorchPath); p != null; p = p.getParent()) {
            Path name = p.getFileName();
            if (name == null) {
                break;
            }
            String[] parts = name.toString().split("-");
            if (parts.length >= 3 && parts[0].matches("\\d+(\\.\\d+)*")) {
                for (String part : parts) {
                    if (part.equals("cpu") || part.matches("cu\\d+")) {
                        return part;
                    }
                }
            }
        }
        return "unknown flavor";
    }
}
