package commands

// Layout is one CMS layout (the API's "Layouts" enum) with the name people know it by. The
// names follow the CMS Web Admin where it has one (API reference, "Default layout options":
// speakerOnly is "full screen", telepresence "overlay", stacked "stack") and otherwise say
// what the screen shows: allEqualSixteenths is a 4×4 grid, onePlusFive one large pane and five
// small ones.
type Layout struct {
	API   string // CMS's spelling: chosenLayout, layout=
	Label string // "Speaker only", "Equal 4×4", "1 + 5"
}

// layouts is every CMS layout in the order people choose them from: the adaptive ones first,
// then the fixed grids, then one large pane plus small ones. It holds exactly cms.Layouts
// (TestLayoutsCoverCMS).
var layouts = []Layout{
	{"automatic", "Automatic"},
	{"allEqual", "All equal"},
	{"speakerOnly", "Speaker only"},
	{"telepresence", "Speaker with overlay"},
	{"stacked", "Speaker with row below"},
	{"allEqualQuarters", "Equal 2×2"},
	{"allEqualNinths", "Equal 3×3"},
	{"allEqualSixteenths", "Equal 4×4"},
	{"allEqualTwentyFifths", "Equal 5×5"},
	{"onePlusFive", "1 + 5"},
	{"onePlusSeven", "1 + 7"},
	{"onePlusNine", "1 + 9"},
	{"onePlusN", "1 + N"},
}

// Layouts lists every CMS layout with its human name, in menu order.
func Layouts() []Layout {
	return append([]Layout(nil), layouts...)
}

// LayoutLabel is the human name of a CMS layout ("speakerOnly" → "Speaker only"); a value NFMM
// does not know (a newer CMS) is shown as CMS spells it.
func LayoutLabel(api string) string {
	for _, l := range layouts {
		if l.API == api {
			return l.Label
		}
	}
	return api
}
