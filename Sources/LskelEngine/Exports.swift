@_exported import LskelModel
