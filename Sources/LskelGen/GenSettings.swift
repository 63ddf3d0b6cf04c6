/// One `lskel gen` command: its objects, where the outputs go and the target.
public struct GenSettings: Sendable, Equatable {
    public var objects: [String]
    public var outDir = "."
    /// The skeleton name (one object only); otherwise bpftool's rule from the file name.
    public var name: String?
    public var format = GenFormat.all
    public var profile = ProfileSettings()

    public init(objects: [String]) {
        self.objects = objects
    }
}
