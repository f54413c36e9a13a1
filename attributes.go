package matchmaker

// This file holds player attribute values: their four FlexMatch types, construction, JSON form
// and the limits a request must respect.

// AttributeType is the type of a player attribute, as declared in a rule set's playerAttributes.
type AttributeType string

// The four attribute types of the FlexMatch rule-set language.
const (
	AttrString          AttributeType = "string"
	AttrNumber          AttributeType = "number"
	AttrStringList      AttributeType = "string_list"
	AttrStringNumberMap AttributeType = "string_number_map"
)
