package org.leapformer.model;

import org.leapformer.nn.AttentionKind;

/** Small configurations for fast tests. */
public final class ModelConfigs {

    private ModelConfigs() {}

    /** V=11, N=16, Dm=16, H=2, D=8, FFN=32, 2 layers, no dropout, chunk 4. */
    public static ModelConfig.Builder small(AttentionKind kind) {
        return ModelConfig.builder().optKind(kind).setVocabSize(11).setMaxLength(16).optDModel(16).optHeads(2)
                .optHeadDim(8).optFfnDim(32).optLayers(2).optDropout(0.0).optChunkSize(4);
    }
}
