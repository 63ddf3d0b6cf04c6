import ArgumentParser
import LskelGen

extension GenFormat: ExpressibleByArgument {}
