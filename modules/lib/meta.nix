# Functions on derivation metadata (`meta`), names and priorities.
{ lib }:
let
  inherit (builtins) isString typeOf match any all elem;

  self = {
    addMetaAttrs = newAttrs: drv:
      if drv ? overrideAttrs
      then drv.overrideAttrs (old: { meta = (old.meta or { }) // newAttrs; })
      else drv // { meta = (drv.meta or { }) // newAttrs; };

    dontDistribute = drv: self.addMetaAttrs { hydraPlatforms = [ ]; } drv;

    setName = name: drv: drv // { inherit name; };

    updateName = updater: drv: drv // { name = updater drv.name; };

    appendToName = suffix: self.updateName (name:
      let x = builtins.parseDrvName name;
      in "${x.name}-${suffix}-${x.version}");

    mapDerivationAttrset = f: set:
      builtins.mapAttrs (_: pkg: if lib.isDerivation pkg then f pkg else pkg) set;

    defaultPriority = 5;

    setPrio = priority: self.addMetaAttrs { inherit priority; };
    lowPrio = self.setPrio 10;
    lowPrioSet = set: self.mapDerivationAttrset self.lowPrio set;
    hiPrio = self.setPrio (-10);
    hiPrioSet = set: self.mapDerivationAttrset self.hiPrio set;

    # Does `platform` match the meta.platforms entry `elem` (a system string
    # or an attribute-set pattern)?
    platformMatch = platform: elem:
      if isString elem then platform ? system && elem == platform.system
      else lib.matchAttrs elem platform;

    availableOn = platform: pkg:
      (!(pkg ? meta.platforms) || any (self.platformMatch platform) pkg.meta.platforms)
      && all (e: !self.platformMatch platform e) (pkg.meta.badPlatforms or [ ]);

    licensesSpdx = lib.mapAttrs' (_: license: {
      name = license.spdxId;
      value = license;
    }) (lib.filterAttrs (_: license: license ? spdxId) lib.licenses);

    getLicenseFromSpdxId = licstr:
      self.getLicenseFromSpdxIdOr licstr
        (lib.warn "getLicenseFromSpdxId: No license matches the given SPDX ID: ${licstr}"
          { shortName = licstr; });

    getLicenseFromSpdxIdOr =
      let
        lowercase = lib.mapAttrs' (name: value: {
          name = lib.toLower name;
          inherit value;
        }) self.licensesSpdx;
      in
      licstr: default: lowercase.${lib.toLower licstr} or default;

    getExe = x:
      self.getExe' x (x.meta.mainProgram or (lib.warn
        "getExe: Package ${lib.strings.escapeNixIdentifier (x.meta.name or x.pname or x.name)} does not have the meta.mainProgram attribute. We'll assume that the main program has the same name for now, but this behavior is deprecated, because it leads to surprising errors when the assumption does not hold. If the package has a main program, please set `meta.mainProgram` in its definition to make this warning go away. Otherwise, if the package does not have a main program, or if you don't control its definition, use getExe' to specify the name to the program, such as lib.getExe' foo \"bar\"."
        (lib.getName x)));

    getExe' = x: y:
      assert lib.assertMsg (lib.isDerivation x)
        "lib.meta.getExe': The first argument is of type ${typeOf x}, but it should be a derivation instead.";
      assert lib.assertMsg (isString y)
        "lib.meta.getExe': The second argument is of type ${typeOf y}, but it should be a string instead.";
      assert lib.assertMsg (match ".*/.*" y == null)
        "lib.meta.getExe': The second argument \"${y}\" is a nested path with a \"/\" character, but it should just be the name of the executable instead.";
      "${lib.getBin x}/bin/${y}";
  };
in
self
