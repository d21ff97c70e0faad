# A first taste of the evaluator: functions, sets, strings and builtins.
let
  greet = { name, greeting ? "Hello" }: "${greeting}, ${name}!";
  people = [ "Ada" "Grace" "Edsger" ];
in
{
  greetings = map (name: greet { inherit name; }) people;
  count = builtins.length people;
  byInitial = builtins.groupBy (builtins.substring 0 1) people;
}
