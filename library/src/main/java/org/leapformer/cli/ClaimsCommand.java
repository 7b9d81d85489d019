package org.leapformer.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.leapformer.data.AtomicFiles;
import org.leapformer.study.Claims;

/**
 * {@code claims}: the paper's claims page ({@link Claims#markdown}) from the recorded studies, and
 * the {@code <!-- claims:NAME -->} blocks of the README, the docs and the notebooks regenerated
 * from them; {@code --check} changes nothing and fails when a file differs from its records.
 */
final class ClaimsCommand {

    static final Set<String> OPTIONS = Set.of("studies", "out", "root");

    private ClaimsCommand() {}

    static int run(String[] args, PrintStream out) {
        Args a = Args.parse("claims", args, 1, OPTIONS, Set.of("check"));
        Path root = a.path("root", Path.of("."));
        Path studies = root.resolve(a.string("studies", "docs/studies"));
        Path page = root.resolve(a.string("out", "docs/claims.md"));
        boolean check = a.flag("check");
        Claims claims = load(root, studies);
        List<String> stale = new ArrayList<>();
        write(page, claims.markdown(), check, stale, out);
        for (var f : claims.figures().entrySet()) {
            write(page.resolveSibling("figures").resolve(f.getKey()), f.getValue(), check, stale, out);
        }
        for (Path f : embedding(root)) {
            if (f.normalize().equals(page.normalize())) {
                continue;
            }
            String text = read(f);
            String updated = f.toString().endsWith(".ipynb") ? claims.updateNotebook(text) : claims.updateBlocks(text);
            if (!updated.equals(text)) {
                write(f, updated, check, stale, out);
            }
        }
        if (check && !stale.isEmpty()) {
            out.println("claims --check: " + stale.size() + " file(s) differ from the recorded studies: " + stale
                    + " (run `claims` to regenerate them)");
            return 1;
        }
        out.println(check ? "claims --check: every page and block matches the recorded studies in " + studies
                : "claims: " + (stale.isEmpty() ? "nothing changed" : "wrote " + stale));
        return 0;
    }

    /** Every {@code DIR/NAME/study.json}, in name order, shown by its path relative to {@code root}. */
    static Claims load(Path root, Path studies) {
        if (!Files.isDirectory(studies)) {
            throw new IllegalArgumentException("claims --studies: expected a folder of recorded studies "
                    + "(NAME/study.json), found no folder " + studies);
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(studies)) {
            dirs.sorted().map(d -> d.resolve("study.json")).filter(Files::isRegularFile).forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("claims: cannot list " + studies, e);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("claims --studies: expected at least one NAME/study.json in " + studies
                    + ", found none");
        }
        List<String> shown = new ArrayList<>();
        for (Path f : files) {
            shown.add(root.toAbsolutePath().normalize().relativize(f.toAbsolutePath().normalize()).toString()
                    .replace('\\', '/'));
        }
        return Claims.read(files, shown);
    }

    /** The README, docs/*.md and notebooks/*.ipynb under {@code root}: where blocks may be embedded. */
    static List<Path> embedding(Path root) {
        List<Path> out = new ArrayList<>();
        if (Files.isRegularFile(root.resolve("README.md"))) {
            out.add(root.resolve("README.md"));
        }
        for (String[] d : new String[][] {{"docs", ".md"}, {"notebooks", ".ipynb"}}) {
            Path dir = root.resolve(d[0]);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(f -> f.toString().endsWith(d[1])).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException("claims: cannot list " + dir, e);
            }
        }
        return out;
    }

    private static String read(Path f) {
        try {
            return Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("claims: cannot read " + f, e);
        }
    }

    private static void write(Path f, String text, boolean check, List<String> changed, PrintStream out) {
        if (Files.isRegularFile(f) && read(f).equals(text)) {
            return;
        }
        changed.add(f.toString());
        if (!check) {
            AtomicFiles.write(f, w -> w.write(text));
        }
    }
}
