package org.leapformer.jupyter

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import org.jetbrains.kotlinx.multik.api.mk
import org.jetbrains.kotlinx.multik.api.ndarray
import org.jetbrains.kotlinx.multik.ndarray.data.D1
import org.jetbrains.kotlinx.multik.ndarray.data.D2
import org.jetbrains.kotlinx.multik.ndarray.data.D3
import org.jetbrains.kotlinx.multik.ndarray.data.D4
import org.jetbrains.kotlinx.multik.ndarray.data.DN
import org.jetbrains.kotlinx.multik.ndarray.data.get
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.leapformer.LeapEngine
import org.leapformer.inspect.LayerTrace.Quantity
import org.leapformer.inspect.Stepper
import org.leapformer.inspect.Trace
import org.leapformer.inspect.Values
import org.leapformer.model.DecoderLM
import org.leapformer.model.ModelConfig
import org.leapformer.nn.AttentionKind
import kotlin.random.Random

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultikTest {

    private lateinit var manager: NDManager

    @BeforeAll
    fun start() {
        LeapEngine.ensureInitialized()
        manager = LeapEngine.newManager()
        manager.engine.setRandomSeed(11)
    }

    @AfterAll
    fun stop() = manager.close()

    /** 0, 1, 2, ... in the given shape and type. */
    private fun count(type: DataType, vararg shape: Long): NDArray =
        manager.arange(0f, Shape(*shape).size().toFloat()).reshape(*shape).toType(type, false)

    private fun assertSameTensor(expected: NDArray, actual: NDArray) {
        assertEquals(expected.shape, actual.shape)
        assertEquals(expected.dataType, actual.dataType)
        assertArrayEquals(expected.toType(DataType.FLOAT64, false).toDoubleArray(),
            actual.toType(DataType.FLOAT64, false).toDoubleArray())
    }

    @Test
    fun `float32 tensors of rank 1 to 4 and DN go to Multik and back with their shape and values`() {
        val x1 = count(DataType.FLOAT32, 7)
        val x2 = count(DataType.FLOAT32, 3, 4)
        val x3 = count(DataType.FLOAT32, 2, 3, 4)
        val x4 = count(DataType.FLOAT32, 2, 3, 4, 5)
        val x5 = count(DataType.FLOAT32, 2, 1, 3, 2, 2)
        val m1 = x1.toMultik<D1>()
        val m2 = x2.toMultik<D2>()
        val m3 = x3.toMultik<D3>()
        val m4 = x4.toMultik<D4>()
        val m5 = x5.toMultik<DN>()
        assertEquals(5f, m1[5])
        assertEquals(1 * 4 + 3f, m2[1, 3])
        assertEquals(1 * 12 + 2 * 4 + 1f, m3[1, 2, 1])
        assertEquals(1 * 60 + 2 * 20 + 3 * 5 + 4f, m4[1, 2, 3, 4])
        assertEquals(listOf(2, 1, 3, 2, 2), m5.shape.toList())
        assertEquals(1 * 12 + 2 * 4 + 1 * 2 + 1f, m5[intArrayOf(1, 0, 2, 1, 1)])
        for ((x, m) in listOf(x1 to m1, x2 to m2, x3 to m3, x4 to m4, x5 to m5)) {
            assertSameTensor(x, m.toNDArray(manager))
        }
        val empty = manager.create(Shape(0, 3))
        assertEquals(listOf(0, 3), empty.toMultik<D2>().shape.toList())
        assertSameTensor(empty, empty.toMultik<D2>().toNDArray(manager))
        val dn = x2.toMultik<DN>()
        assertEquals(listOf(3, 4), dn.shape.toList())
        assertEquals(7f, dn[intArrayOf(1, 3)])
        assertSameTensor(x2, dn.toNDArray(manager))
    }

    @Test
    fun `float64 tensors go to Double arrays and come back as float64`() {
        val x1 = count(DataType.FLOAT64, 7)
        val x2 = count(DataType.FLOAT64, 3, 4)
        val x3 = count(DataType.FLOAT64, 2, 3, 4)
        val x4 = count(DataType.FLOAT64, 2, 3, 4, 5)
        val x5 = count(DataType.FLOAT64, 2, 1, 3, 2, 2)
        val m1 = x1.toMultikDouble<D1>()
        val m2 = x2.toMultikDouble<D2>()
        val m3 = x3.toMultikDouble<D3>()
        val m4 = x4.toMultikDouble<D4>()
        val m5 = x5.toMultikDouble<DN>()
        assertEquals(6.0, m1[6])
        assertEquals(2 * 4 + 1.0, m2[2, 1])
        assertEquals(12 + 4 + 3.0, m3[1, 1, 3])
        assertEquals(60 + 3 * 5 + 2.0, m4[1, 0, 3, 2])
        assertEquals(12 + 2 * 4 + 3.0, m5[intArrayOf(1, 0, 2, 1, 1)])
        for ((x, m) in listOf(x1 to m1, x2 to m2, x3 to m3, x4 to m4, x5 to m5)) {
            assertSameTensor(x, m.toNDArray(manager))
        }
        val precise = manager.create(doubleArrayOf(0.1, 1e-300, Math.PI))
        assertArrayEquals(doubleArrayOf(0.1, 1e-300, Math.PI), precise.toMultikDouble<D1>().data.getDoubleArray())
    }

    @Test
    fun `Multik views are copied in logical row-major order`() {
        val m = mk.ndarray(FloatArray(12) { it.toFloat() }, 3, 4)
        val x = count(DataType.FLOAT32, 3, 4)
        assertSameTensor(x.transpose(), m.transpose().toNDArray(manager))
        val corner = m[1..2, 1..3]
        val back = corner.toNDArray(manager)
        assertEquals(Shape(corner.shape[0].toLong(), corner.shape[1].toLong()), back.shape)
        val expected = (0 until corner.shape[0]).flatMap { i -> (0 until corner.shape[1]).map { j -> corner[i, j] } }
        assertArrayEquals(expected.toFloatArray(), back.toFloatArray())
        assertEquals(m[1, 1], back.getFloat(0, 0))

        val m4 = count(DataType.FLOAT64, 2, 3, 4, 5).toMultikDouble<D4>()
        assertSameTensor(count(DataType.FLOAT64, 2, 3, 4, 5).transpose(3, 1, 0, 2), m4.transpose(3, 1, 0, 2).toNDArray(manager))
        val plane = m4[1, 2] // an offset view: (4, 5) starting at element 100
        assertSameTensor(count(DataType.FLOAT64, 2, 3, 4, 5).get(1, 2), plane.toNDArray(manager))

        assertEquals(4f, x.transpose().toMultik<D2>()[0, 1], "a transposed DJL tensor is read in its logical order")
    }

    @Test
    fun `Values become Multik arrays of the named rank, as copies`() {
        val data = FloatArray(24) { it / 2f }
        val values = Values(data, longArrayOf(2, 3, 4))
        val m = values.toMultik<D3>()
        assertEquals(listOf(2, 3, 4), m.shape.toList())
        assertEquals(values.get(1, 2, 3), m[1, 2, 3])
        assertEquals(listOf(2, 3, 4), values.toMultik<DN>().shape.toList())
        data[23] = -1f
        assertEquals(11.5f, m[1, 2, 3], "the Multik array does not share the values' array")
        val rank = assertThrows<IllegalArgumentException> { values.toMultik<D2>() }
        assertEquals("toMultik<D2>: expected rank 2, found rank 3 (2, 3, 4)", rank.message)
        val scalar = assertThrows<IllegalArgumentException> { Values(floatArrayOf(1f), longArrayOf()).toMultik<DN>() }
        assertEquals("toMultik: expected an array of rank 1 or more, found a scalar", scalar.message)
    }

    @Test
    fun `trace quantities and step attention rows are reachable as Multik arrays`() {
        manager.newSubManager().use { m ->
            val config = ModelConfig.builder().optKind(AttentionKind.LEAP).setVocabSize(11).setMaxLength(16)
                .optDModel(16).optHeads(2).optHeadDim(8).optFfnDim(32).optLayers(2).optDropout(0.0).optChunkSize(4)
                .build()
            val model = DecoderLM(config).initialize(m, DataType.FLOAT32)
            val tokens = intArrayOf(3, 1, 4, 1, 5, 9)
            Trace.of(model, tokens, m).use { trace ->
                val layer = trace.layer(1)
                val weights = layer.multik<D4>(Quantity.WEIGHTS)
                assertEquals(listOf(1, 2, 6, 6), weights.shape.toList())
                assertEquals(layer.values(Quantity.WEIGHTS).get(0, 1, 4, 2), weights[0, 1, 4, 2])
                assertEquals(0f, weights[0, 1, 2, 5], "causal: no weight on a future key")
                assertEquals(listOf(1, 6, 16), layer.multik<D3>(Quantity.INPUT).shape.toList())
                val pq = layer.queryProportions().toMultik<D4>()
                assertEquals(layer.values(Quantity.QUERY_PROPORTIONS).get(0, 0, 3, 0), pq[0, 0, 3, 0])
                val rank = assertThrows<IllegalArgumentException> { layer.multik<D3>(Quantity.REWEIGHTING) }
                assertEquals("toMultik<D3>: expected rank 3, found rank 4 (1, 2, 6, 6)", rank.message)
            }
            Stepper.of(model, m, true).use { stepper ->
                val step = stepper.feed(*tokens).last().layer(0)
                val rows = step.attentionRows()
                assertEquals(listOf(1, 2, 6), rows.shape.toList())
                assertEquals(step.attentionRow(0, 1)[4], rows[0, 1, 4])
            }
            Stepper.of(model, m, false).use { stepper ->
                val step = stepper.feed(*tokens).last().layer(0)
                val e = assertThrows<IllegalStateException> { step.attentionRows() }
                assertTrue(e.message!!.startsWith("attentionRows of layer 0: expected a stepper that keeps past keys"), e.message)
            }
        }
    }

    @Test
    fun `wrong types and ranks are refused with what was expected and how to convert`() {
        val ints = assertThrows<IllegalArgumentException> { manager.arange(3).toMultik<D1>() }
        assertEquals("toMultik: expected a float32 NDArray, found int32 (3); convert with toType(DataType.FLOAT32, false)",
            ints.message)
        val doubles = assertThrows<IllegalArgumentException> { count(DataType.FLOAT64, 2, 3).toMultik<D2>() }
        assertEquals("toMultik: expected a float32 NDArray, found float64 (2, 3); use toMultikDouble<D2>() or convert " +
            "with toType(DataType.FLOAT32, false)", doubles.message)
        val floats = assertThrows<IllegalArgumentException> { count(DataType.FLOAT32, 2, 3).toMultikDouble<D2>() }
        assertEquals("toMultikDouble: expected a float64 NDArray, found float32 (2, 3); use toMultik<D2>() or " +
            "convert with toType(DataType.FLOAT64, false)", floats.message)
        val longs = assertThrows<IllegalArgumentException> { manager.create(longArrayOf(1, 2)).toMultikDouble<D1>() }
        assertEquals("toMultikDouble: expected a float64 NDArray, found int64 (2); convert with " +
            "toType(DataType.FLOAT64, false)", longs.message)
        val rank = assertThrows<IllegalArgumentException> { count(DataType.FLOAT64, 2, 3).toMultikDouble<D3>() }
        assertEquals("toMultikDouble<D3>: expected rank 3, found rank 2 (2, 3)", rank.message)
        val scalar = assertThrows<IllegalArgumentException> { manager.create(1f).toMultik<DN>() }
        assertEquals("toMultik: expected an array of rank 1 or more, found a scalar", scalar.message)
    }

    @Test
    fun `a Multik array is summarised by type, shape and first values`() {
        val m = mk.ndarray(FloatArray(20) { it.toFloat() }, 4, 5)
        assertEquals("Multik NDArray<Float, D2> (4, 5) [0, 1, 2, 3, 4, 5, 6, 7, ... (12 more)]", MultikSummary.text(m))
        assertEquals("Multik NDArray<Float, D2> (5, 4) [0, 5, 10, 15, 1, 6, 11, 16, ... (12 more)]",
            MultikSummary.text(m.transpose()), "a view shows its logical order")
        assertEquals("Multik NDArray<Double, D1> (3) [0.1235, 1E-7, NaN]",
            MultikSummary.text(mk.ndarray(doubleArrayOf(0.123456, 1e-7, Double.NaN))))
        assertEquals("Multik NDArray<Int, D1> (2) [3, -4]", MultikSummary.text(mk.ndarray(intArrayOf(3, -4))))
        assertEquals("Multik NDArray<Float, DN> (1, 1, 1, 1, 2) [0, 1]",
            MultikSummary.text(count(DataType.FLOAT32, 1, 1, 1, 1, 2).toMultik<DN>()))
    }

    @Test
    fun `summaries of large matrices stay short and show only a corner as a table`() {
        for (n in listOf(32, 1000)) {
            val random = Random(n)
            val m = mk.ndarray(FloatArray(n * n) { (random.nextFloat() - 0.5f) * 1e-3f }, n, n)
            val mime = MultikSummary.toMime(m)
            val text = mime["text/plain"]!!
            val html = mime["text/html"]!!
            assertTrue(text.length <= 200, "text of $n×$n: ${text.length} characters: $text")
            assertTrue(html.length <= 4000, "html of $n×$n: ${html.length} characters")
            assertEquals(13, Regex("<tr>").findAll(html).count(), "12 rows and a row of '…'")
            assertEquals(13 * 13, Regex("<td>").findAll(html).count(), "12×12 values, a column and a row of '…'")
        }
        val small = MultikSummary.toMime(mk.ndarray(FloatArray(6) { it.toFloat() }, 2, 3))["text/html"]!!
        assertTrue("<tr><td>0</td><td>1</td><td>2</td></tr><tr><td>3</td><td>4</td><td>5</td></tr>" in small, small)
        assertFalse("…" in small, small)
        val vector = MultikSummary.toMime(mk.ndarray(FloatArray(1000) { it.toFloat() }))["text/html"]!!
        assertFalse("<table" in vector, "no table for a vector")
        assertTrue(vector.length <= 120, vector)
    }

    @Test
    fun `the HTML summary escapes the type's angle brackets`() {
        val html = MultikSummary.toMime(mk.ndarray(floatArrayOf(1f, 2f)))["text/html"]!!
        assertEquals("<pre>Multik NDArray&lt;Float, D1&gt; (2) [1, 2]</pre>", html)
    }
}
