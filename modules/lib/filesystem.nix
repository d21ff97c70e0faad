# Looking at files and directories.
{ lib }:
let
  inherit (builtins) readDir pathExists concatLists attrNames;
  self = {
    pathType =
      builtins.readFileType or (path:
        if !pathExists path then throw "lib.filesystem.pathType: Path ${toString path} does not exist."
        else if toString path == "/" then "directory"
        else (readDir (dirOf path)).${baseNameOf path});

    pathIsDirectory = path: pathExists path && self.pathType path == "directory";

    pathIsRegularFile = path: pathExists path && self.pathType path == "regular";

    listFilesRecursive =
      let
        go = dir: concatLists (lib.mapAttrsToList (name: type:
          if type == "directory" then go (dir + "/${name}") else [ (dir + "/${name}") ])
          (readDir dir));
      in
      go;

    # The nearest directory at or above `path` holding a file matching the
    # regex; { path, matches } or null.
    locateDominatingFile = pattern: file:
      let
        go = path:
          let
            files = attrNames (readDir path);
            found = lib.findFirst (f: builtins.match pattern f != null) null files;
          in
          if found != null then { inherit path; matches = builtins.match pattern found; }
          else if path == /. || toString path == "/" then null
          else go (dirOf path);
        start = if self.pathIsDirectory file then file else dirOf file;
      in
      go start;

    # Build an attribute set from a directory tree: `foo.nix` and
    # `foo/package.nix` become `foo = callPackage ...`, subdirectories nest.
    packagesFromDirectoryRecursive = { callPackage, directory, ... }:
      let
        entries = readDir directory;
        handle = name: type:
          let p = directory + "/${name}";
          in
          if type == "regular" && lib.hasSuffix ".nix" name then
            [ { name = lib.removeSuffix ".nix" name; value = callPackage p { }; } ]
          else if type == "directory" then
            if pathExists (p + "/package.nix")
            then [ { inherit name; value = callPackage (p + "/package.nix") { }; } ]
            else [ {
              inherit name;
              value = self.packagesFromDirectoryRecursive { inherit callPackage; directory = p; };
            } ]
          else [ ];
      in
      if pathExists (directory + "/package.nix")
      then callPackage (directory + "/package.nix") { }
      else builtins.listToAttrs (concatLists (lib.mapAttrsToList handle entries));
  };
in
self
