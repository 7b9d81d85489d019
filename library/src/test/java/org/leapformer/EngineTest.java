package org.leapformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.leapformer.nn.LinearAttention;
import org.leapformer.ops.Form;

/** The engine line, the device choice, and a GPU run where a GPU exists. */
class EngineTest {

    @Test
    void theEngineIsDescribedInOneLineWithVersionFlavorDeviceAndThreads() {
        String line = LeapEngine.ensureInitialized();
        assertSame(line, LeapEngine.ensureInitialized(), "described once");
        assertTrue(line.startsWith("PyTorch 2.5.1 ("), line);
        assertTrue(line.contains("(cpu)") || line.matches(".*\\(cu\\d+\\).*"), "flavor in " + line);
        assertTrue(line.contains(" on " + Engine.getEngine("PyTorch").defaultDevice()), line);
        assertTrue(line.contains("threads " + System.getProperty("ai.djl.pytorch.num_threads", "")), line);
        assertEquals(1, line.lines().count());
    }

    @Test
    void anUnknownDeviceNameIsRefusedWithTheValidChoices() {
        String old = System.getProperty("leap.device");
        try {
            System.setProperty("leap.device", "tpu");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, LeapEngine::device);
            assertTrue(e.getMessage().contains("expected cpu, gpu or gpuN, found 'tpu'"), e.getMessage());
            System.setProperty("leap.device", "gpu7");
            if (Engine.getEngine("PyTorch").getGpuCount() < 8) {
                e = assertThrows(IllegalArgumentException.class, LeapEngine::device);
                assertTrue(e.getMessage().contains("GPU count"), e.getMessage());
            }
            System.setProperty("leap.device", "cpu");
            assertEquals(Device.cpu(), LeapEngine.device());
        } finally {
            if (old == null) {
                System.clearProperty("leap.device");
            } else {
                System.setProperty("leap.device", old);
            }
        }
    }

    @Test
    void theChunkedFormRunsOnTheGpuAndMatchesTheCpu() {
        int gpus = Engine.getEngine("PyTorch").getGpuCount();
        TestSupport.skipUnless(gpus > 0, "no GPU on this machine (getGpuCount() = 0)");
        try (NDManager cpu = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                NDManager gpu = NDManager.newBaseManager(Device.gpu(0), "PyTorch")) {
            TestSupport.seed(1);
            NDArray q = TestSupport.normal(cpu, DataType.FLOAT32, 0, 1, 2, 300, 16);
            LinearAttention attn = LinearAttention.builder().setHeadDim(16).build();
            attn.initialize(cpu, DataType.FLOAT32);
            NDArray ref = attn.causal(q, q, q, null, Form.CHUNKED).output();
            LinearAttention onGpu = LinearAttention.builder().setHeadDim(16).build();
            onGpu.initialize(gpu, DataType.FLOAT32);
            onGpu.getParameters().forEach(p -> p.getValue().getArray().set(
                    attn.getParameters().get(p.getKey()).getArray().toFloatArray()));
            NDArray qg = q.toDevice(Device.gpu(0), true);
            NDArray got = onGpu.causal(qg, qg, qg, null, Form.CHUNKED).output().toDevice(Device.cpu(), true);
            TestSupport.assertClose(ref, got, 1e-4, "GPU vs CPU");
        }
    }
}
