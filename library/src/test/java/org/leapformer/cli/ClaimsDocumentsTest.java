package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The project's own documents against the recorded studies: docs/claims.md, its figures, and every
 * {@code <!-- claims:NAME -->} block of the README, docs/*.md and the notebooks are what
 * {@code claims} generates from docs/studies/NAME/study.json. A number typed into one of those
 * tables by hand, or a record changed without regenerating, fails here.
 */
class ClaimsDocumentsTest {

    private static final Path ROOT = Path.of(System.getProperty("leap.root", ".."));

    @Test
    void everyClaimsPageFigureAndBlockMatchesItsRecords() {
        assertTrue(Files.isDirectory(ROOT.resolve("docs/studies")), "the recorded studies in "
                + ROOT.resolve("docs/studies").toAbsolutePath());
        Cli.Result r = Cli.run("claims", "--root", ROOT.toString(), "--check");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("every page and block matches"), r.out());
    }

    @Test
    void theReadmeQuotesTheStudiesThroughBlocks() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        for (String block : new String[] {"<!-- claims:task:listops -->", "<!-- claims:task:lm -->",
            "<!-- claims:latency -->"}) {
            assertTrue(readme.contains(block), "README.md embeds " + block);
        }
    }

    @Test
    void aHandEditedNumberIsFound(@TempDir Path dir) throws Exception {
        // a copy of the records and the README, one number changed by hand inside a block
        Path studies = dir.resolve("docs/studies");
        try (var paths = Files.walk(ROOT.resolve("docs/studies"))) {
            for (Path p : paths.filter(f -> f.getFileName().toString().equals("study.json")).toList()) {
                Path to = studies.resolve(ROOT.resolve("docs/studies").relativize(p));
                Files.createDirectories(to.getParent());
                Files.copy(p, to);
            }
        }
        assertEquals(0, Cli.run("claims", "--root", dir.toString()).code(), "generated into the copy");
        String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("README.md"), readme, StandardCharsets.UTF_8);
        assertEquals(0, Cli.run("claims", "--root", dir.toString(), "--check").code());
        int block = readme.indexOf("<!-- claims:task:listops -->");
        int row = readme.indexOf("| leap |", block);
        int digit = row + readme.substring(row).indexOf(" ± ") - 1;
        char d = readme.charAt(digit);
        String edited = readme.substring(0, digit) + (d == '9' ? '8' : (char) (d + 1)) + readme.substring(digit + 1);
        Files.writeString(dir.resolve("README.md"), edited, StandardCharsets.UTF_8);
        Cli.Result r = Cli.run("claims", "--root", dir.toString(), "--check");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("README.md"), r.out());
    }
}
