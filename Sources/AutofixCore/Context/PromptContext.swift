import AutofixTestReport
import Foundation

/// What the first prompt shows of the repository, most direct evidence first: the lines the
/// failures name, the user's uncommitted work (as a diff and as the code around each change),
/// files the failures name without a line, the commits not yet pushed (likewise), then what the
/// failing code imports. Large files are shown as excerpts; prose only when a failure names it;
/// the map gets what is left.
struct PromptContext {
    /// Places the failures point at, most relevant first; repository-relative.
    let locations: [SourceLocation]
    let changes: WorkingChanges
    var unpushed: UnpushedCommits = .none
    let repositoryFiles: [String]
    let read: (String) -> String?

    private struct Evidence {
        let path: String
        var lines: [Int]
        let reason: String
    }

    /// The repository sections of the first message, within `budgetTokens`, and the files shown.
    func render(budgetTokens: Int) -> (text: String, shown: [String]) {
        let mapReserve = max(120, budgetTokens / 8)
        var left = budgetTokens - mapReserve
        var diffSection = ""
        var codeSection = ""
        var shown: [String] = []
        var outlines: [String: [String]] = [:]
        let evidence = orderedEvidence()
        let namedWithLines = evidence.prefix { !$0.lines.isEmpty && $0.reason == Self.named }

        func place(_ item: Evidence, reserve: Int = 0) {
            guard let content = read(item.path) else { return }
            let excerpt = SourceExcerpt(content)
            if let block = block(for: item, content: content, excerpt: excerpt, left: left, reserve: reserve, budget: budgetTokens) {
                codeSection += block
                left -= PromptBuilder.estimatedTokens(block)
                shown.append(item.path)
            }
            if !shown.contains(item.path) || excerpt.lines.count > 200 { outlines[item.path] = excerpt.outline() }
        }

        // A small file is shown whole only if the excerpts of the other named places still fit after it.
        let excerptCosts = namedWithLines.map { item in read(item.path).map { excerptCost(of: item, content: $0) } ?? 0 }
        for (index, item) in namedWithLines.enumerated() {
            place(item, reserve: excerptCosts.dropFirst(index + 1).reduce(0, +))
        }
        let namedPaths = Set(locations.map(\.path))
        // Each file's diff within `share` tokens; the code around the changes of one too large follows.
        func diffs(of changes: WorkingChanges, within share: Int) -> String {
            var room = min(left, share)
            var section = ""
            var omitted: [String] = []
            for file in changes.files where !RelatedFiles.isProse(file.path) || namedPaths.contains(file.path) {
                let block = "```diff\n\(file.text)```\n"
                let cost = PromptBuilder.estimatedTokens(block)
                if cost <= room { section += block; room -= cost; left -= cost } else { omitted.append(file.path) }
            }
            if !omitted.isEmpty { section += "(the diff of \(omitted.joined(separator: ", ")) is too large to show; the code around its changes is below)\n" }
            return section
        }
        diffSection = diffs(of: changes, within: budgetTokens / 4)
        var unpushedSection = ""
        if !unpushed.isEmpty {
            let list = unpushed.subjects.map { "- \($0)\n" }.joined() + (unpushed.more ? "- (and older ones)\n" : "")
            unpushedSection = "## Your commits not yet pushed to \(unpushed.upstream) (diff against where they meet)\n" + list
            left -= PromptBuilder.estimatedTokens(unpushedSection)
            unpushedSection += diffs(of: unpushed.changes, within: budgetTokens / 6)
        }
        for item in evidence.dropFirst(namedWithLines.count) { place(item) }

        var text = ""
        if !diffSection.isEmpty { text += "## Your uncommitted changes (diff against HEAD)\n" + diffSection + "\n" }
        if !unpushedSection.isEmpty { text += unpushedSection + "\n" }
        if !codeSection.isEmpty { text += "## Relevant code\n" + codeSection }
        let relevant = evidence.map(\.path).filter { read($0) != nil }
        text += RepositoryMap(files: repositoryFiles).render(relevant: relevant, outlines: outlines, budgetTokens: mapReserve + max(0, left))
        return (text, shown)
    }

    private static let named = "named by the failing tests"

    private func orderedEvidence() -> [Evidence] {
        var items: [Evidence] = []
        func add(_ path: String, _ lines: [Int], _ reason: String) {
            guard repositoryFiles.contains(path) || read(path) != nil else { return }
            if let index = items.firstIndex(where: { $0.path == path }) {
                items[index].lines += lines.filter { !items[index].lines.contains($0) }
            } else {
                items.append(Evidence(path: path, lines: lines, reason: reason))
            }
        }
        let namedPaths = Set(locations.map(\.path))
        for location in locations { if let line = location.line { add(location.path, [line], Self.named) } }
        for file in changes.files where !RelatedFiles.isProse(file.path) || namedPaths.contains(file.path) {
            add(file.path, file.changedLines, "changed in your uncommitted work")
        }
        for location in locations where location.line == nil { add(location.path, [], Self.named) }
        // Their lines are HEAD's; in a file the uncommitted work changed too they would point elsewhere.
        let uncommitted = Set(changes.files.map(\.path))
        for file in unpushed.changes.files where !RelatedFiles.isProse(file.path) || namedPaths.contains(file.path) {
            add(file.path, uncommitted.contains(file.path) ? [] : file.changedLines, "changed in commits not yet pushed")
        }
        let sources = items.compactMap { read($0.path) }
        let excluded = Set(items.map(\.path))
        let names = RelatedFiles.importedNames(in: sources)
        for path in RelatedFiles(repositoryFiles: repositoryFiles).related(to: sources, excluding: excluded) {
            add(path, read(path).map { Self.definitions(of: names, in: $0) } ?? [], "imported by the code above")
        }
        return items
    }

    /// The lines where `content` defines one of `names` (`def f300(`, `func greet(`, `class Calc`).
    private static func definitions(of names: Set<String>, in content: String) -> [Int] {
        var found: [Int] = []
        for (index, line) in SourceExcerpt(content).lines.enumerated() where SourceExcerpt.isDefinition(line) {
            let words = line.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
            if words.prefix(4).contains(where: { names.contains(String($0)) }) { found.append(index + 1) }
            if found.count == 8 { break }
        }
        return found
    }

    /// What the enclosing excerpts of `item` take.
    private func excerptCost(of item: Evidence, content: String) -> Int {
        let excerpt = SourceExcerpt(content)
        return PromptBuilder.estimatedTokens("### \(item.path) (\(item.reason), lines ; \(excerpt.lines.count) lines, excerpts)\n"
            + excerpt.render(excerpt.ranges(around: item.lines, enclosing: true), fence: "```") + "\n")
    }

    /// The file whole when it is small, else the parts around its lines; nil when nothing fits.
    private func block(for item: Evidence, content: String, excerpt: SourceExcerpt, left: Int, reserve: Int = 0, budget: Int) -> String? {
        let lineNote = item.lines.isEmpty ? "" : ", lines \(item.lines.sorted().prefix(8).map(String.init).joined(separator: ", "))"
        let whole = "### \(item.path) (\(item.reason)\(lineNote))\n```\n\(content)\(content.hasSuffix("\n") ? "" : "\n")```\n\n"
        let wholeCost = PromptBuilder.estimatedTokens(whole)
        if wholeCost <= min(left - reserve, max(budget / 4, 400)) { return whole }
        guard !item.lines.isEmpty else { return nil }
        for enclosing in [true, false] {
            let ranges = excerpt.ranges(around: item.lines, enclosing: enclosing)
            let block = "### \(item.path) (\(item.reason)\(lineNote); \(excerpt.lines.count) lines, excerpts)\n"
                + excerpt.render(ranges, fence: "```") + "\n"
            if PromptBuilder.estimatedTokens(block) <= left { return block }
        }
        return nil
    }
}
