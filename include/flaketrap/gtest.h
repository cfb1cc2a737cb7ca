// SPDX-License-Identifier: MIT
//
// flaketrap/gtest.h: a GoogleTest event listener that tells flaketrap
// which test runs (include/flaketrap.h), so that its log blames each
// thread and child left running at a test's end on that test. Header
// only; register it with one line in the test's main, before
// RUN_ALL_TESTS():
//
//	#include <flaketrap/gtest.h>
//	...
//	::testing::InitGoogleTest(&argc, argv);
//	flaketrap::AddTestListener();
//	return RUN_ALL_TESTS();
//
// Without libflaketrap.so loaded the listener does nothing.
#ifndef FLAKETRAP_GTEST_H
#define FLAKETRAP_GTEST_H

#include <string>

#include <gtest/gtest.h>

#include "../flaketrap.h"

namespace flaketrap {

// A test is named Suite.Name, as --gtest_filter takes it (with its
// parameter suffixes: Suite/0.Name/1).
class TestListener : public ::testing::EmptyTestEventListener {
public:
	void OnTestStart(const ::testing::TestInfo &info) override
	{
		const std::string name =
			std::string(info.test_suite_name()) + "." + info.name();

		flaketrap_test_begin(name.c_str());
	}

	// After the test's TearDown and destructor: what they stop and join
	// is no leak.
	void OnTestEnd(const ::testing::TestInfo &) override
	{
		flaketrap_test_end();
	}
};

// Appends the listener (GoogleTest owns and deletes it).
inline void AddTestListener()
{
	::testing::UnitTest::GetInstance()->listeners().Append(
		new TestListener);
}

} // namespace flaketrap

#endif // FLAKETRAP_GTEST_H
