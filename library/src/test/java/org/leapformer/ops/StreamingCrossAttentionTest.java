package org.leapformer.ops;

import static org.leapformer.TestSupport.assertClose;
import static org.leapformer.TestSupport.normal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;
import org.leapformer.LeapEngine;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;

/** Cross-attention over a source that grows between calls. */
class StreamingCrossAttentionTest {

    @Test
    void readingAGrowingSourceEqualsBidirectionalAttentionOverThePrefixSoFar() {
        try (NDManager m = LeapEngine.newManager()) {
            TestSupport.seed(21);
            DataType t = DataType.FLOAT64;
            NDArray src = normal(m, t, 0, 2, 2, 17, 8); // source keys
            NDArray srcV = normal(m, t, 0, 2, 2, 17, 6);
            NDArray tgt = normal(m, t, 0, 2, 2, 5, 8); // target queries
            LinearAttention attn = LinearAttention.builder().setKind(AttentionKind.LEAP).setHeadDim(8).build();
            attn.initialize(m, t);
            ParameterStore ps = new ParameterStore(m, false);
            LinearState source = null;
            int[] arrivals = {3, 1, 6, 7};
            int seen = 0;
            for (int count : arrivals) {
                NDArray k = src.get(":, :, {}:{}", seen, seen + count);
                NDArray v = srcV.get(":, :, {}:{}", seen, seen + count);
                LinearState next = attn.extendSource(ps, source, k, v, null, false);
                if (source != null) {
                    source.close();
                }
                source = next;
                seen += count;
                NDArray got = attn.readSource(ps, source, tgt, false);
                NDArray expected = attn.bidirectional(tgt, src.get(":, :, :{}", seen), srcV.get(":, :, :{}", seen), null);
                assertClose(expected, got, 1e-12, "after " + seen + " source tokens");
                org.junit.jupiter.api.Assertions.assertEquals(seen, source.length());
            }
            source.close();
        }
    }
}
