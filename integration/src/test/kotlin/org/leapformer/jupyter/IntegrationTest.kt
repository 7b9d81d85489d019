package org.leapformer.jupyter

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import org.jetbrains.letsPlot.gggrid
import org.jetbrains.kotlinx.multik.ndarray.data.D1
import org.jetbrains.kotlinx.multik.ndarray.data.D2
import org.jetbrains.kotlinx.multik.ndarray.data.D3
import org.jetbrains.kotlinx.multik.ndarray.data.DN
import org.jetbrains.kotlinx.multik.ndarray.data.get
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.leapformer.LeapEngine

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IntegrationTest {

    private lateinit var manager: NDManager

    @BeforeAll
    fun start() {
        LeapEngine.ensureInitialized()
        manager = LeapEngine.newManager()
        manager.engine.setRandomSeed(7)
    }

    @AfterAll
    fun stop() = manager.close()

    @Test
    fun `the proportion histogram renders as SVG with query and key in the legend`() {
        val q = manager.randomUniform(0f, 1f, Shape(2, 4, 16))
        val k = manager.randomUniform(0f, 1f, Shape(2, 4, 16)).toType(DataType.FLOAT64, false)
        val svg = (proportionHistogram(q, k, bins = 10, title = "Proportions at layer 3")).toSvg()
        java.io.File("target/proportion-histogram.svg").writeText(svg)
        assertTrue(svg.startsWith("<svg"), svg.take(80))
        val texts = Regex("<text[^>]*>\\s*([^<]*?)\\s*</text>").findAll(svg).map { it.groupValues[1] }.toList()
        assertTrue("query" in texts && "key" in texts, "legend labels missing from $texts")
        assertTrue("Proportions at layer 3" in texts, "title missing from $texts")
        assertTrue("rgb(76,114,176)" in svg && "rgb(221,132,82)" in svg, "fill colours #4C72B0 and #DD8452 missing")
    }

    @Test
    fun `a grid of plots renders as one SVG`() {
        val p = manager.randomUniform(0f, 1f, Shape(32))
        val grid = gggrid(listOf(proportionHistogram(p, p, title = "left"), proportionHistogram(p, p, title = "right")), ncol = 2)
        val svg = (grid).toSvg()
        assertTrue(svg.startsWith("<svg") && "left" in svg && "right" in svg, svg.take(200))
    }

    @Test
    fun `the proportion histogram rejects bad bins, empty, integer and out-of-range arrays`() {
        val ok = manager.randomUniform(0f, 1f, Shape(8))
        val bins = assertThrows<IllegalArgumentException> { proportionHistogram(ok, ok, bins = 0) }
        assertEquals("bins: expected 1..1000, found 0", bins.message)
        val empty = assertThrows<IllegalArgumentException> { proportionHistogram(manager.create(Shape(0)), ok) }
        assertTrue(empty.message!!.startsWith("queries: expected at least one value"), empty.message)
        val ints = assertThrows<IllegalArgumentException> { proportionHistogram(ok, manager.arange(4)) }
        assertTrue(ints.message!!.startsWith("keys: expected a floating-point NDArray, found int32"), ints.message)
        val outside = assertThrows<IllegalArgumentException> {
            proportionHistogram(manager.create(floatArrayOf(0.5f, 1.5f, Float.NaN)), ok)
        }
        assertEquals(
            "queries: expected proportions in [0, 1], found 1.5 at flat index 1 (2 of 3 outside)",
            outside.message,
        )
    }

    @Test
    fun `a training result shows the test metrics, the model they are of and both seeds`() {
        val r = org.leapformer.train.TrainingResult(400, org.leapformer.train.TrainingResult.StopReason.COMPLETED,
            0.61, 240, 0.5, mapOf("loss" to 0.7), 12.0, null, 7, 3,
            org.leapformer.train.TrainingResult.Splits(4000, 500, 500), org.leapformer.train.TrainingResult.VALIDATION,
            mapOf("loss" to 0.61), mapOf("loss" to 0.64, "accuracy" to 0.43))
        val text = Renderers.trainingResult(r)["text/plain"]!!
        for (part in listOf("test accuracy", "0.43", "step 240, chosen on validation", "validation loss (chosen model)",
                "last validation loss", "model 7, data 3")) {
            assertTrue(text.contains(part), "'$part' missing from $text")
        }
    }

    @Test
    fun `live training evaluates the model chosen on validation once on a test set`() {
        val gen = org.leapformer.data.ListOps.builder().optSeed(5).optMaxDepth(3).optMaxArgs(3).optLengthRange(6, 16).build()
        val all = gen.generate(96)
        val train = org.leapformer.train.DataSources.listOps(all.subList(0, 64), 16, 8, 5)
        val valid = org.leapformer.train.DataSources.listOpsEval(all.subList(64, 80), 16, 8)
        val test = org.leapformer.train.DataSources.listOpsEval(all.subList(80, 96), 16, 8)
        val config = org.leapformer.model.ModelConfig.builder().setVocabSize(org.leapformer.data.ListOpsVocabulary.SIZE)
            .setMaxLength(16).optDModel(16).optHeads(2).optHeadDim(8).optFfnDim(16).optLayers(1)
            .optNumClasses(10).build()
        manager.newSubManager().use { m ->
            val model = org.leapformer.model.EncoderClassifier(config).initialize(m, DataType.FLOAT32, 1L)
            val trainer = org.leapformer.train.Trainer(org.leapformer.train.Tasks.classifier(model),
                org.leapformer.train.TrainingConfig.builder().setSteps(6).optEvalEvery(3).optSeed(1).optDataSeed(5).build())
            trainer.use {
                val r = LiveTraining("test").fit(it, train, valid, test)
                assertEquals(org.leapformer.train.TrainingResult.VALIDATION, r.selectedOn())
                assertTrue(r.test().containsKey("accuracy"), r.test().toString())
                assertEquals(16L, r.splits().test())
            }
        }
    }

    @Test
    fun `an NDArray is summarised by shape, type, device and its first values`() {
        val x = manager.arange(0f, 20f).reshape(4, 5)
        val text = NDArraySummary.text(x)
        assertTrue(text.startsWith("NDArray (4, 5) float32 cpu() [0, 1, 2"), text)
        assertTrue(text.endsWith(", 7, ... (12 more)]"), text)
        assertEquals("NDArray (3) int64 cpu() [1, 2, 3]", NDArraySummary.text(manager.create(longArrayOf(1, 2, 3))))
    }

    @Test
    fun `toMultik copies a float tensor into a Multik array of the named rank`() {
        val x = manager.arange(0f, 24f).reshape(2, 3, 4)
        val m = x.toMultik<D3>()
        assertEquals(listOf(2, 3, 4), m.shape.toList())
        assertEquals(23f, m[1, 2, 3])
        assertEquals(listOf(2, 3, 4), x.toMultik<DN>().shape.toList())
        assertEquals(6f, manager.arange(0f, 8f).toMultik<D1>()[6])
        val rank = assertThrows<IllegalArgumentException> { x.toMultik<D2>() }
        assertEquals("toMultik<D2>: expected rank 2, found rank 3 (2, 3, 4)", rank.message)
        val type = assertThrows<IllegalArgumentException> { manager.arange(3).toMultik<D1>() }
        assertTrue(type.message!!.startsWith("toMultik: expected a float32 NDArray, found int32"), type.message)
    }

    @Test
    fun `every package the integration imports has classes`() {
        val loader = LeapformerIntegration::class.java.classLoader
        val missing = LeapformerIntegration.IMPORTS
            .filter { it.endsWith(".*") }
            .map { it.removeSuffix(".*") }
            .filter { loader.getResource(it.replace('.', '/')) == null }
        assertEquals(emptyList<String>(), missing, "imported packages without classes")
    }
}
