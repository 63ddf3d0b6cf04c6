/// MultipartKit 4.7's parser looks each byte of a part's header name up in a
/// 128-entry table and traps on a byte above 0x7f, which would take the whole
/// service down. This follows that parser's states exactly (preamble, boundary,
/// headers, body, epilogue; a header value ends at CR, which must be followed
/// by LF) over the whole body, in one pass, and says where such a byte would
/// reach the table. The parser stops at its first syntax error, and so does this.
enum MultipartPreCheck {
    private enum HeaderState {
        case preHeaders(expectingLF: Bool)
        case headerName(empty: Bool)
        case headerValue(empty: Bool)
        case postHeaderValue
        case postHeaders
    }

    private enum State {
        case preamble(match: Int)
        case headers(HeaderState)
        case body
        case boundary(match: Int)
    }

    static let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), colon = UInt8(ascii: ":"), hyphen = UInt8(ascii: "-")
    static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")

    /// The offset of the first byte above 0x7f that the parser would look up as a header-name character, if any.
    static func trappingByte(in body: [UInt8], boundary: String) -> Int? {
        let marker = Array("\r\n--\(boundary)".utf8)
        var state = State.preamble(match: 0)
        var index = 0
        while index < body.count {
            let byte = body[index]
            switch state {
            case .preamble(var match):
                if match == 0 && byte == marker[2] {
                    match = 3
                } else if byte == marker[match] {
                    match += 1
                } else if match > 0 && byte == marker[0] {
                    match = 1
                } else {
                    match = 0
                }
                state = match >= marker.count ? .headers(.preHeaders(expectingLF: false)) : .preamble(match: match)
            case .headers(let header):
                switch header {
                case .preHeaders(let expectingLF):
                    if !expectingLF && byte == cr {
                        state = .headers(.preHeaders(expectingLF: true))
                    } else if expectingLF && byte == lf {
                        state = .headers(.headerName(empty: true))
                    } else {
                        return nil  // a syntax error: the parser stops here
                    }
                case .headerName(let empty):
                    if byte == colon && !empty {
                        state = .headers(.headerValue(empty: true))
                    } else if byte == cr && empty {
                        state = .headers(.postHeaders)
                    } else if byte > 0x7f {
                        return index
                    } else if isAllowedHeaderNameCharacter(byte) {
                        state = .headers(.headerName(empty: false))
                    } else {
                        return nil
                    }
                case .headerValue(let empty):
                    if byte == cr {
                        state = .headers(.postHeaderValue)
                    } else if !(empty && (byte == space || byte == tab)) {
                        state = .headers(.headerValue(empty: false))
                    }
                case .postHeaderValue:
                    guard byte == lf else { return nil }
                    state = .headers(.headerName(empty: true))
                case .postHeaders:
                    guard byte == lf else { return nil }
                    state = .body
                }
            case .body:
                if byte == marker[0] {
                    state = .boundary(match: 0)
                    continue  // the boundary state reads this byte
                }
            case .boundary(let match):
                if match >= marker.count {
                    if byte == cr {
                        state = .headers(.preHeaders(expectingLF: true))
                    } else {
                        return nil  // the epilogue (ignored) or a syntax error
                    }
                } else if byte != marker[match] {
                    state = byte == marker[0] ? .boundary(match: 1) : .body
                } else {
                    state = .boundary(match: match + 1)
                }
            }
            index += 1
        }
        return nil
    }

    /// RFC 7230 `tchar`, as MultipartKit's table allows it.
    static func isAllowedHeaderNameCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
