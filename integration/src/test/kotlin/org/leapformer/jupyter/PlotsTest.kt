package org.leapformer.jupyter

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import org.jetbrains.letsPlot.Figure
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.leapformer.LeapEngine
import org.leapformer.inspect.Stepper
import org.leapformer.inspect.Trace
import org.leapformer.model.DecoderLM
import org.leapformer.model.ModelConfig
import org.leapformer.nn.AttentionKind
import org.leapformer.train.TrainingHistory
import org.leapformer.train.TrainingListener
import org.leapformer.train.TrainingResult
import java.io.ByteArrayInputStream
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO

/**
 * Every figure of [Plots] drawn from a small LeaP language model: its SVG carries the title, the
 * axis labels and the legend; its PNG is an image of the figure's size; and its words (every text
 * that is not a number) equal the golden copy in src/test/resources/golden. Run with
 * `-Dgolden.update=true` to rewrite the golden copies after an intended change (then read the diff).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlotsTest {

    private lateinit var manager: NDManager
    private lateinit var lm: DecoderLM
    private lateinit var trace: Trace
    private lateinit var before: Trace
    private lateinit var steps: List<Stepper.Step>
    private val ids = intArrayOf(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3)

    private fun config(kind: AttentionKind) = ModelConfig.builder().setVocabSize(12).setMaxLength(32).optKind(kind)
        .optDModel(16).optHeads(2).optHeadDim(8).optFfnDim(32).optLayers(2).optDropout(0.0).build()

    @BeforeAll
    fun start() {
        LeapEngine.ensureInitialized()
        manager = LeapEngine.newManager()
        manager.engine.setRandomSeed(11)
        val untrained = DecoderLM(config(AttentionKind.LEAP)).initialize(manager, DataType.FLOAT32)
        before = Trace.of(untrained, ids, manager)
        lm = DecoderLM(config(AttentionKind.LEAP)).initialize(manager, DataType.FLOAT32)
        trace = Trace.of(lm, ids, manager)
        Stepper.of(lm, manager, true).use { stepper -> steps = stepper.feed(*ids) }
    }

    @AfterAll
    fun stop() {
        trace.close(); before.close(); manager.close()
    }

    private fun history(name: String, scale: Double) = TrainingHistory(name).apply {
        onStart(0, 40)
        for (s in 1L..40L) {
            onStep(TrainingListener.Step(s, 40, scale * 3.0 / (1 + 0.1 * s), 1e-3 * minOf(1.0, s / 10.0), 1.0, 8, 256, 0.01))
            if (s % 10 == 0L) {
                onEvaluation(TrainingListener.Evaluation(s, mapOf("loss" to scale * 2.5 / (1 + 0.1 * s), "accuracy" to 0.2 + s / 100.0), true, 0.0))
            }
        }
        onEnd(TrainingResult(40, TrainingResult.StopReason.COMPLETED, 0.0, 40, 1.0, mapOf(), 1.0, null))
    }

    private val figures: Map<String, () -> Figure> by lazy {
        linkedMapOf(
            "proportion-distributions" to { proportionDistributions(trace, before, bins = 10) },
            "proportions-by-position" to { proportionsByPosition(trace, layer = 1, head = 1) },
            "concentration-maps" to { concentrationMaps(trace) },
            "attention-heatmap" to { attentionHeatmap(trace, tokens = ids.map { "t$it" }) },
            "step-state-norms" to { stepStateNorms(steps) },
            "step-proportions" to { stepProportions(steps, layer = 1) },
            "step-attention-rows" to { stepAttentionRows(steps, head = 1) },
            "training-curves" to { trainingCurves(history("LeaP", 1.0), history("softmax", 1.3)) },
        )
    }

    private val expectedWords = mapOf(
        "proportion-distributions" to listOf("Proportions before and after training", "proportion p", "tokens",
            "before", "after", "layer 0 · query", "layer 1 · key", "head 0", "head 1"),
        "proportions-by-position" to listOf("Proportion against position (layer 1, head 1)", "position i", "proportion",
            "LeaP p_q", "LeaP p_k", "cosFormer i/N"),
        "concentration-maps" to listOf("LeaP: cos(π/2·(p_q,i − p_k,j))", "cosFormer: cos(π/2·(i − j)/N)", "key j",
            "query i", "cos"),
        "attention-heatmap" to listOf("Attention weights (layer 0, head 0)", "key j", "query i", "weight", "t9"),
        "step-state-norms" to listOf("State norms as the sequence grows (layer 0)", "S_sin", "S_cos", "z_sin", "z_cos",
            "position t", "Frobenius norm", "head 1"),
        "step-proportions" to listOf("Proportions token by token (layer 1)", "p_q", "p_k", "position t"),
        "step-attention-rows" to listOf("Attention rows token by token (layer 0, head 1)", "key position j", "step t"),
        "training-curves" to listOf("Training curves", "training loss", "learning rate", "eval loss", "eval accuracy",
            "LeaP", "softmax", "step", "run"),
    )

    @Test
    fun `every figure has its title, axis labels and legend, a PNG of its size, and the golden words`() {
        val out = Path.of("target/figures")
        Files.createDirectories(out)
        val update = System.getProperty("golden.update") == "true"
        for ((name, make) in figures) {
            val figure = make()
            val svg = figure.toSvg()
            assertTrue(svg.startsWith("<svg"), "$name: ${svg.take(80)}")
            val words = words(svg)
            for (w in expectedWords.getValue(name)) assertTrue(w in words, "$name: '$w' missing from $words")

            figure.save(out.resolve("$name.svg"))
            val png = figure.save(out.resolve("$name.png"))
            val image = ImageIO.read(png.toFile())
            val (w, h) = svgSize(svg)
            assertEquals(w, image.width, "$name: PNG width"); assertEquals(h, image.height, "$name: PNG height")
            assertTrue(distinctColours(image) > 8, "$name: the PNG looks blank")

            val golden = Path.of("src/test/resources/golden/$name.txt")
            val text = words.joinToString("\n") + "\n"
            if (update || !Files.exists(golden)) {
                Files.createDirectories(golden.parent); Files.writeString(golden, text)
            }
            assertEquals(Files.readString(golden), text, "$name: its words differ from $golden (run with -Dgolden.update=true after an intended change)")
        }
    }

    @Test
    fun `a figure's display bundle carries SVG, PNG and text`() {
        val mime = trainingCurves(history("a", 1.0)).toMime()
        val json = mime.toJson().toString()
        assertTrue("image/svg+xml" in json && "image/png" in json && "text/plain" in json, json.take(200))
        val png = java.util.Base64.getDecoder().decode(mime["image/png"])
        val image = ImageIO.read(ByteArrayInputStream(png))
        assertEquals(svgSize(mime["image/svg+xml"]!!).first, image.width)
    }

    @Test
    fun `a figure saves at twice its size, and refuses a file name it cannot write`() {
        val file = Files.createTempDirectory("fig").resolve("curves.png")
        trainingCurves(history("a", 1.0)).save(file, scale = 2.0)
        val (w, _) = svgSize(trainingCurves(history("a", 1.0)).toSvg())
        assertEquals(2 * w, ImageIO.read(file.toFile()).width)
        val e = assertThrows<IllegalArgumentException> { trainingCurves(history("a", 1.0)).save(file.resolveSibling("x.jpg")) }
        assertTrue(e.message!!.startsWith("figure file: expected a name ending in .svg or .png, found"), e.message)
        assertEquals(listOf("curves.png"), Files.list(file.parent).map { it.fileName.toString() }.toList())
    }

    @Test
    fun `plots refuse what they cannot draw, naming what they expected`() {
        manager.engine.setRandomSeed(3)
        val softmax = DecoderLM(config(AttentionKind.SOFTMAX)).initialize(manager, DataType.FLOAT32)
        Trace.of(softmax, ids, manager).use { t ->
            val e = assertThrows<IllegalArgumentException> { proportionsByPosition(t) }
            assertEquals("proportions: expected a trace of a LEAP or COSFORMER model, which has proportions; found SOFTMAX attention", e.message)
            assertTrue(attentionHeatmap(t).toSvg().startsWith("<svg")) // softmax has weights
        }
        val head = assertThrows<IllegalArgumentException> { concentrationMaps(trace, head = 2) }
        assertEquals("head: expected 0..1, found 2", head.message)
        val layer = assertThrows<IllegalArgumentException> { attentionHeatmap(trace, layer = 5) }
        assertEquals("attentionHeatmap: expected a layer in 0..1, found 5", layer.message)
        val tokens = assertThrows<IllegalArgumentException> { attentionHeatmap(trace, tokens = listOf("a")) }
        assertEquals("tokens: expected a label for each of the 16 positions, found 1", tokens.message)
        val dup = assertThrows<IllegalArgumentException> { trainingCurves(history("a", 1.0), history("a", 2.0)) }
        assertEquals("runs: expected distinct run names (they label the legend), found [a] more than once", dup.message)
        val empty = assertThrows<IllegalArgumentException> { trainingCurves(TrainingHistory("x")) }
        assertEquals("runs: expected a run with at least one step, found none", empty.message)
        val noRows = Stepper.of(lm, manager, false).use { s -> s.feed(1, 2, 3) }
        val rows = assertThrows<IllegalStateException> { stepAttentionRows(noRows) }
        assertTrue(rows.message!!.contains("keepKeys = true"), rows.message)
    }

    companion object {
        private val NUMBER = Regex("""[-−+]?[0-9.,]+(e[-−+]?[0-9]+)?%?""", RegexOption.IGNORE_CASE)

        /** The non-numeric texts of an SVG, in document order, unescaped, each once. */
        fun words(svg: String): List<String> =
            Regex("<text[^>]*>(.*?)</text>", RegexOption.DOT_MATCHES_ALL).findAll(svg)
                .map { Regex("<[^>]+>").replace(it.groupValues[1], "").trim() }
                .map { it.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&") }
                .filter { it.isNotEmpty() && !NUMBER.matches(it) }
                .distinct().toList()

        fun svgSize(svg: String): Pair<Int, Int> {
            val m = Regex("""<svg[^>]*?\swidth="([0-9.]+)[^"]*"[^>]*?\sheight="([0-9.]+)""").find(svg)!!
            return m.groupValues[1].toDouble().toInt() to m.groupValues[2].toDouble().toInt()
        }

        fun distinctColours(image: java.awt.image.BufferedImage): Int {
            val seen = HashSet<Int>()
            for (y in 0 until image.height step 3) for (x in 0 until image.width step 3) seen += image.getRGB(x, y)
            return seen.size
        }
    }
}
