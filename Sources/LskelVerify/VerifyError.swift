/// How a verification can fail, apart from the kernel refusing the loader
/// (which is an answer, not an error).
public enum VerifyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No kernels (or no guest image) where they were looked for.
    case missingKernels(String)
    /// A series the matrix does not have.
    case unknownKernel(series: String, known: [String])
    /// qemu cannot run here, or a guest did not come up.
    case bootFailed(series: String, reason: String)
    /// The job did not answer within its deadline; the guest was stopped.
    case timedOut(series: String, seconds: Double)
    /// The guest ended during the job (a kernel panic, or it was killed).
    case guestDied(series: String, reason: String)
    /// The agent's answer was not one.
    case malformedAnswer(series: String, detail: String)

    public var description: String {
        switch self {
        case .missingKernels(let why): "no kernels to verify on: \(why)"
        case .unknownKernel(let series, let known): "no kernel '\(series)' here (have: \(known.joined(separator: ", ")))"
        case .bootFailed(let series, let reason): "the \(series) guest did not boot: \(reason)"
        case .timedOut(let series, let seconds): "the job did not finish in \(Int(seconds)) s on \(series); its guest was stopped"
        case .guestDied(let series, let reason): "the \(series) guest ended during the job: \(reason)"
        case .malformedAnswer(let series, let detail): "the \(series) guest's answer is malformed: \(detail)"
        }
    }
}
